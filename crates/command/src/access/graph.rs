//! The agency hierarchy as Cedar entities, built per request for only the agencies a request mentions.
//!
//! Two hierarchies share the graph: the administrative tree (`Agency` in its `parent` `Agency`, the top
//! ones in `Agency::"*"`) and the inspectorates' jurisdictions (`Agency` in `Jurisdiction::"<its
//! inspectorate>"`, a jurisdiction in the jurisdiction of the inspectorate watching that inspectorate, the
//! top ones in `Jurisdiction::"*"`). Walking up from the few agencies a request names keeps the cost per
//! request independent of the directory's size (thousands of communes).

use std::collections::BTreeMap;
use std::collections::HashSet;
use std::str::FromStr;

use cedar_policy::{Entity, EntityId, EntityTypeName, EntityUid};
use domain::{AgencyCode, AgencyDirectory};

/// The whole state, in both hierarchies.
pub const ALL: &str = "*";
/// The agency of a principal without one: in no hierarchy, so nothing scoped matches it.
pub const NOWHERE: &str = "(none)";

/// A cycle in a hand-edited directory must not loop forever; real trees are a handful of levels deep.
const MAX_DEPTH: usize = 32;

pub struct AgencyGraph<'a> {
    directory: &'a dyn AgencyDirectory,
    entities: BTreeMap<String, Entity>,
}

impl<'a> AgencyGraph<'a> {
    pub fn new(directory: &'a dyn AgencyDirectory) -> Self {
        Self {
            directory,
            entities: BTreeMap::new(),
        }
    }

    /// `Agency::"<code>"`, adding it and everything above it to the graph.
    pub fn agency(&mut self, code: &str) -> EntityUid {
        self.add_agency(code, 0)
    }

    /// `Jurisdiction::"<code>"`, adding it and everything above it to the graph.
    pub fn jurisdiction(&mut self, code: &str) -> EntityUid {
        self.add_jurisdiction(code, 0)
    }

    pub fn into_entities(self) -> impl Iterator<Item = Entity> {
        self.entities.into_values()
    }

    fn add_agency(&mut self, code: &str, depth: usize) -> EntityUid {
        let me = uid("Agency", code);
        let key = format!("A:{code}");
        if self.entities.contains_key(&key) || depth > MAX_DEPTH || code == NOWHERE {
            return me;
        }
        let mut parents = HashSet::new();
        if code == ALL {
            parents.insert(uid("Jurisdiction", ALL));
            self.add_jurisdiction(ALL, depth + 1);
        } else {
            let found = AgencyCode::from_str(code)
                .ok()
                .and_then(|c| self.directory.get(&c).cloned());
            let parent = found.as_ref().and_then(|a| a.parent.clone());
            let inspectorate = found.as_ref().and_then(|a| a.inspectorate.clone());
            // Reserve the key before recursing, so a cycle ends here.
            self.entities.insert(
                key.clone(),
                Entity::new_no_attrs(me.clone(), HashSet::new()),
            );
            parents.insert(match &parent {
                Some(p) => self.add_agency(p.as_str(), depth + 1),
                None => self.add_agency(ALL, depth + 1),
            });
            if let Some(i) = &inspectorate {
                parents.insert(self.add_jurisdiction(i.as_str(), depth + 1));
            }
        }
        self.entities
            .insert(key, Entity::new_no_attrs(me.clone(), parents));
        me
    }

    fn add_jurisdiction(&mut self, code: &str, depth: usize) -> EntityUid {
        let me = uid("Jurisdiction", code);
        let key = format!("J:{code}");
        if self.entities.contains_key(&key) || depth > MAX_DEPTH || code == NOWHERE {
            return me;
        }
        self.entities.insert(
            key.clone(),
            Entity::new_no_attrs(me.clone(), HashSet::new()),
        );
        let mut parents = HashSet::new();
        if code != ALL {
            let watcher = AgencyCode::from_str(code)
                .ok()
                .and_then(|c| self.directory.get(&c).and_then(|a| a.inspectorate.clone()));
            parents.insert(match watcher {
                Some(w) => self.add_jurisdiction(w.as_str(), depth + 1),
                None => self.add_jurisdiction(ALL, depth + 1),
            });
        }
        self.entities
            .insert(key, Entity::new_no_attrs(me.clone(), parents));
        me
    }
}

fn uid(type_name: &str, id: &str) -> EntityUid {
    // Only called with the constant names `Agency` and `Jurisdiction`, which are valid identifiers.
    let name = EntityTypeName::from_str(type_name).expect("a constant entity type name");
    EntityUid::from_type_name_and_id(name, EntityId::new(id))
}
