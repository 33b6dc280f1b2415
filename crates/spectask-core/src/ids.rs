//! Typed identifiers. Ids are UUIDv7 values generated at the edge (the store); a SpecTask also has a
//! short id (8 hex digits of its random bits) and a slug, which together name its paths and branches.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A value that is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {what} id")]
pub struct IdError {
    pub what: &'static str,
    pub value: String,
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
            /// The 8 hex digits that tell this id from others created at the same time.
            pub fn short(&self) -> ShortId {
                ShortId::of_uuid(self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| IdError { what: $what, value: s.to_owned() })
            }
        }
    };
}

uuid_id!(
    /// One user request through its whole lifecycle.
    SpecTaskId, "spec task"
);
uuid_id!(
    /// One unit of work inside a SpecTask.
    WorkSessionId, "work session"
);
uuid_id!(
    /// The agent-side thread (ACP session) of a WorkSession.
    ThreadId, "thread"
);
uuid_id!(
    /// A human decision on one spec version.
    SpecReviewId, "spec review"
);
uuid_id!(
    /// A registered git repository.
    RepositoryId, "repository"
);

/// The 8 lower-case hex digits that abbreviate an id: a SpecTask's in paths, branches and tables, a
/// work session's in history and coordination text.
///
/// They are the last four bytes of the UUIDv7, which are random (its leading bytes are a timestamp
/// and would collide for ids created close together).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct ShortId(String);

impl ShortId {
    pub fn of(id: SpecTaskId) -> Self {
        Self::of_uuid(id.as_uuid())
    }

    fn of_uuid(uuid: Uuid) -> Self {
        Self(uuid.into_bytes()[12..].iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShortId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A path- and branch-safe slug: lower-case ASCII letters and digits joined by single hyphens,
/// at most 40 characters, cut at a word boundary; `task` when nothing usable is left.
pub fn slugify(text: &str) -> String {
    const MAX: usize = 40;
    let mut slug = String::new();
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        let word = word.to_ascii_lowercase();
        let extra = if slug.is_empty() { word.len() } else { word.len() + 1 };
        if slug.len() + extra > MAX {
            if slug.is_empty() {
                slug.push_str(&word[..MAX]);
            }
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word);
    }
    if slug.is_empty() { "task".to_owned() } else { slug }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_id_takes_the_random_tail_of_the_uuid() {
        let id: SpecTaskId = "01936f3e-8a2b-7c4d-9e5f-0123456789ab".parse().unwrap();
        assert_eq!(ShortId::of(id).as_str(), "456789ab");
    }

    #[test]
    fn session_short_ids_differ_for_sessions_made_in_the_same_moment() {
        let a: WorkSessionId = "01a20231-0000-7000-8000-00000000aaaa".parse().unwrap();
        let b: WorkSessionId = "01a20231-0000-7000-8000-00000000bbbb".parse().unwrap();
        assert_eq!(a.short().as_str(), "0000aaaa");
        assert_ne!(a.short(), b.short());
    }

    #[test]
    fn id_parse_error_names_the_value() {
        let err = "nope".parse::<SpecTaskId>().unwrap_err();
        assert_eq!(err.to_string(), "\"nope\" is not a valid spec task id");
    }

    #[test]
    fn slugify_keeps_words_and_drops_punctuation() {
        assert_eq!(slugify("Add JWT authentication!"), "add-jwt-authentication");
        assert_eq!(slugify("  Über  café -- déjà vu "), "ber-caf-d-j-vu");
        assert_eq!(slugify("¿¿??"), "task");
        assert_eq!(
            slugify("implement the complete user authentication system with refresh tokens"),
            "implement-the-complete-user"
        );
        assert_eq!(slugify(&"x".repeat(60)).len(), 40);
    }
}
