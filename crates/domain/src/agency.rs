//! The agencies that receive and resolve petitions, as data the operator maintains (`rules/agencies.toml`).
//!
//! The domain only reads the directory through [`AgencyDirectory`], so a database-backed directory can
//! replace the static file without touching the rules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AgencyCode, Level};

/// One agency: a people's committee, a ministry, an inspectorate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agency {
    pub code: AgencyCode,
    pub name: String,
    pub level: Level,
    /// In a remote, mountainous or disadvantaged area: the longer complaint periods apply (LKN arts. 28, 33, 37, 44).
    #[serde(default)]
    pub remote: bool,
    /// The direct superior that resolves second-instance complaints and reviews re-denunciations by default.
    #[serde(default)]
    pub parent: Option<AgencyCode>,
    /// The inspectorate that watches this agency's handling of petitions.
    #[serde(default)]
    pub inspectorate: Option<AgencyCode>,
}

/// Looks agencies up by code. Implemented by the static file here and by any richer directory elsewhere.
/// `Debug` is required so that services holding an `Arc<dyn AgencyDirectory>` can derive `Debug`.
pub trait AgencyDirectory: Send + Sync + std::fmt::Debug {
    fn get(&self, code: &AgencyCode) -> Option<&Agency>;
}

/// Why an agency file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgencyDirectoryError {
    /// The file is not valid TOML for the directory schema. Fix the file.
    #[error("invalid agency directory: {0}")]
    Parse(String),
    /// Two agencies share a code. Fix the file.
    #[error("agency `{0}` is listed twice")]
    Duplicate(AgencyCode),
    /// A `parent` or `inspectorate` names an agency that is not in the file. Fix the file.
    #[error("agency `{agency}` refers in `{field}` to unknown agency `{target}`")]
    UnknownReference {
        agency: AgencyCode,
        field: &'static str,
        target: AgencyCode,
    },
    /// An agency is its own parent or inspectorate.
    #[error("agency `{0}` refers to itself")]
    SelfReference(AgencyCode),
    /// The file could not be read.
    #[error("cannot read the agency directory `{path}`: {message}")]
    Io { path: String, message: String },
}

/// The directory as loaded from a TOML file: `[[agency]]` tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaticAgencyDirectory {
    agencies: BTreeMap<AgencyCode, Agency>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default, rename = "agency")]
    agencies: Vec<Agency>,
}

/// The directory shipped with the product.
const EMBEDDED: &str = include_str!("../../../rules/agencies.toml");

impl StaticAgencyDirectory {
    /// Parses and checks a directory: unique codes, and every `parent` / `inspectorate` known.
    pub fn from_toml_str(s: &str) -> Result<Self, AgencyDirectoryError> {
        let file: File =
            toml::from_str(s).map_err(|e| AgencyDirectoryError::Parse(e.to_string()))?;
        Self::from_agencies(file.agencies)
    }

    /// Builds a directory from agencies already in memory, with the same checks as a file.
    pub fn from_agencies(list: Vec<Agency>) -> Result<Self, AgencyDirectoryError> {
        let mut agencies = BTreeMap::new();
        for agency in list {
            if agencies.contains_key(&agency.code) {
                return Err(AgencyDirectoryError::Duplicate(agency.code));
            }
            agencies.insert(agency.code.clone(), agency);
        }
        for agency in agencies.values() {
            for (field, target) in [
                ("parent", &agency.parent),
                ("inspectorate", &agency.inspectorate),
            ] {
                let Some(target) = target else { continue };
                if *target == agency.code {
                    return Err(AgencyDirectoryError::SelfReference(agency.code.clone()));
                }
                if !agencies.contains_key(target) {
                    return Err(AgencyDirectoryError::UnknownReference {
                        agency: agency.code.clone(),
                        field,
                        target: target.clone(),
                    });
                }
            }
        }
        Ok(Self { agencies })
    }

    /// Reads a directory file chosen by the operator.
    pub fn load(path: &std::path::Path) -> Result<Self, AgencyDirectoryError> {
        let text = std::fs::read_to_string(path).map_err(|e| AgencyDirectoryError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_toml_str(&text)
    }

    /// The directory compiled in from `rules/agencies.toml`.
    ///
    /// Falls back to an empty directory rather than panicking if the shipped file were broken; the test
    /// `the_embedded_directory_is_valid` makes sure it never is.
    pub fn embedded() -> Self {
        Self::from_toml_str(EMBEDDED).unwrap_or_default()
    }

    /// Every agency, ordered by code.
    pub fn all(&self) -> impl Iterator<Item = &Agency> {
        self.agencies.values()
    }
}

impl AgencyDirectory for StaticAgencyDirectory {
    fn get(&self, code: &AgencyCode) -> Option<&Agency> {
        self.agencies.get(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> AgencyCode {
        AgencyCode::parse(s).expect("valid code")
    }

    #[test]
    fn the_embedded_directory_is_valid() {
        let dir =
            StaticAgencyDirectory::from_toml_str(EMBEDDED).expect("rules/agencies.toml parses");
        assert!(dir.all().count() >= 15);
        let ttcp = dir
            .get(&code("TTCP"))
            .expect("the Government Inspectorate is listed");
        assert_eq!(ttcp.level, Level::Central);
        assert!(dir.all().any(|a| a.remote), "at least one remote agency");
        assert!(dir.all().any(|a| a.level == Level::Commune));
    }

    #[test]
    fn duplicate_codes_are_refused() {
        let toml = "[[agency]]\ncode='A1'\nname='x'\nlevel='province'\n[[agency]]\ncode='a1'\nname='y'\nlevel='commune'\n";
        assert_eq!(
            StaticAgencyDirectory::from_toml_str(toml),
            Err(AgencyDirectoryError::Duplicate(code("A1")))
        );
    }

    #[test]
    fn unknown_parents_are_refused() {
        let toml = "[[agency]]\ncode='A1'\nname='x'\nlevel='commune'\nparent='B2'\n";
        assert!(matches!(
            StaticAgencyDirectory::from_toml_str(toml),
            Err(AgencyDirectoryError::UnknownReference {
                field: "parent",
                ..
            })
        ));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let toml = "[[agency]]\ncode='A1'\nname='x'\nlevel='commune'\ndistrict='gone'\n";
        assert!(matches!(
            StaticAgencyDirectory::from_toml_str(toml),
            Err(AgencyDirectoryError::Parse(_))
        ));
    }
}
