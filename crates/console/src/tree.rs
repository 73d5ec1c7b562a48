//! The agency hierarchy from the directory's `parent` links: subtrees for the overview and the watchlist,
//! and the drill-down from province to agency.

use std::collections::HashMap;

/// The agency hierarchy, from the directory's `parent` links.
#[derive(Debug)]
pub struct Tree {
    parent: HashMap<String, String>,
    names: HashMap<String, String>,
}

impl Tree {
    pub fn new(dir: &domain::StaticAgencyDirectory) -> Self {
        let mut parent = HashMap::new();
        let mut names = HashMap::new();
        for a in dir.all() {
            names.insert(a.code.as_str().to_owned(), a.name.clone());
            if let Some(p) = &a.parent {
                parent.insert(a.code.as_str().to_owned(), p.as_str().to_owned());
            }
        }
        Self { parent, names }
    }

    pub fn name(&self, code: &str) -> String {
        self.names
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    pub fn parent(&self, code: &str) -> Option<String> {
        self.parent.get(code).cloned()
    }

    pub fn has_children(&self, code: &str) -> bool {
        self.parent.values().any(|p| p == code)
    }

    /// `code` is `root` or below it (every agency is under no root).
    pub fn in_subtree(&self, code: &str, root: Option<&str>) -> bool {
        let Some(root) = root else { return true };
        let mut cur = Some(code);
        let mut hops = 0;
        while let Some(c) = cur {
            if c == root {
                return true;
            }
            hops += 1;
            if hops > 32 {
                return false;
            }
            cur = self.parent.get(c).map(String::as_str);
        }
        false
    }

    /// The row of the drill-down table that `code` counts in: the ancestor just below `root` (the top
    /// ancestor when there is no root), or `root` itself.
    pub fn child_under(&self, code: &str, root: Option<&str>) -> String {
        if Some(code) == root {
            return code.to_owned();
        }
        let mut cur = code;
        for _ in 0..32 {
            match self.parent.get(cur) {
                Some(p) if Some(p.as_str()) == root => break,
                Some(p) => cur = p,
                None => break,
            }
        }
        cur.to_owned()
    }
}
