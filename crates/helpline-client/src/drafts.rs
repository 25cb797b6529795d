//! What an agent has typed into a form and not yet saved, kept on every keystroke (the
//! window debounces) so that a crash or a closed window loses nothing.

use crate::views::invalid;
use crate::{Desktop, HubApi, Result};

/// A draft larger than this is a mistake, not a text someone typed.
const DRAFT_MAX: usize = 1024 * 1024;

impl<H: HubApi> Desktop<H> {
    pub fn load_draft(&self, key: &str) -> Result<Option<String>> {
        self.with_store(|s| Ok(s.get_draft(key)?))
    }

    pub fn save_draft(&self, key: &str, body: &str) -> Result<()> {
        if body.len() > DRAFT_MAX {
            return Err(invalid("draft", format!("is {} bytes; at most {DRAFT_MAX} are kept", body.len())));
        }
        let now = self.now();
        self.with_store(|s| Ok(s.save_draft(key, body, now)?))
    }

    pub fn discard_draft(&self, key: &str) -> Result<()> {
        self.with_store(|s| Ok(s.delete_draft(key)?))
    }
}
