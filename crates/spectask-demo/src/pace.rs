//! How fast the demo's scripted agents work: at a person's pace for the tour, a quarter of it for
//! a bounded browser test, or as fast as they can for the other tests.

use std::str::FromStr;

/// The pace of the scripted agents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pace {
    /// A person can follow: planning in about half a minute, each session a minute or two.
    #[default]
    Human,
    /// A quarter of the human pace, with the same steps (for a browser test of the tour).
    Brisk,
    /// No pauses beyond a second, and none of the tour's extra steps (what the tests run).
    Fast,
}

impl Pace {
    pub const NAMES: [&'static str; 3] = ["human", "brisk", "fast"];

    /// A pause of `ms` milliseconds at the human pace, scaled to this pace.
    pub(crate) fn pause(self, ms: i64) -> i64 {
        match self {
            Pace::Human => ms,
            Pace::Brisk => ms / 4,
            Pace::Fast => 0,
        }
    }
}

impl FromStr for Pace {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "human" => Ok(Pace::Human),
            "brisk" => Ok(Pace::Brisk),
            "fast" => Ok(Pace::Fast),
            _ => Err(format!("unknown pace {name:?}: one of {}", Pace::NAMES.join(", "))),
        }
    }
}
