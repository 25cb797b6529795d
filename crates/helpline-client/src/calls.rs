//! The call form: who is calling, a new customer on the spot, KB suggestions while the
//! agent types, and saving the form with its outcome in one local transaction.

use crate::markdown::{snippet_segments, without_markdown_marks};
use crate::views::{CustomerCard, DEFAULT_PHONE_REGION, Segment, TicketRow};
use crate::{ClientError, Desktop, HubApi, Result};
use helpline_domain::{
    Contact, CustomerId, CustomerPatch, DomainError, KbArticleId, Mutation, TicketId, Timestamp, limits,
    normalise_phone,
};
use serde::{Deserialize, Serialize};

/// Suggestions shown beside the call form.
const SUGGESTION_LIMIT: u32 = 8;
/// Customer-less tickets of one caller looked at (to offer or to link); a caller with
/// more has long been a customer.
const UNLINKED_LIMIT: u32 = 50;

/// Who is calling: the customers matching the typed phone number or e-mail address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct CallerLookup {
    /// The number in E.164 or the e-mail address as it is matched.
    pub normalized: Option<String>,
    /// Why the text could not be read as a phone number or an address.
    pub problem: Option<String>,
    pub customers: Vec<CustomerCard>,
    /// Open tickets logged for this caller without a customer (an earlier call from the
    /// same unknown number), which a repeat call can be added to.
    pub open_tickets: Vec<TicketRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct NewCustomer {
    pub name: String,
    pub company: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct KbSuggestion {
    pub id: KbArticleId,
    pub title: String,
    pub snippet: Vec<Segment>,
    /// How well it fits the call: the window marks strong ones.
    pub fit: SuggestionFit,
    /// Probability that it is the article the call needs, 0..1 (calibrated).
    pub confidence: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionFit {
    Strong,
    Possible,
}

/// The KB suggestions for what the call form holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct KbSuggestions {
    /// Articles that fit, best first (weak hits are not listed).
    pub suggestions: Vec<KbSuggestion>,
    /// The call says enough to judge, and no article fits it: the window says so plainly.
    pub nothing_fits: bool,
}

/// The call form as the agent filled it in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ContactForm {
    /// What was taken down: the same shape the mutation carries.
    pub contact: Contact,
    /// Articles the form showed while the agent typed.
    pub suggested_kb: Vec<KbArticleId>,
    /// Articles the agent marked "this solved it".
    pub used_kb: Vec<KbArticleId>,
    /// Articles the agent opened to read (the suggestion funnel's second step).
    #[serde(default)]
    pub opened_kb: Vec<KbArticleId>,
    /// The phone system's call the form was opened for (the banner's "answer"): the
    /// contact links to its call record. Taken over `contact.call_id` when both are set.
    #[serde(default)]
    pub call_id: Option<String>,
}

impl ContactForm {
    /// The form's parts, with the call id carried into the contact.
    fn into_parts(self) -> (Contact, Vec<KbArticleId>, Vec<KbArticleId>, Vec<KbArticleId>) {
        let ContactForm { mut contact, suggested_kb, used_kb, opened_kb, call_id } = self;
        if let Some(call_id) = call_id.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()) {
            contact.call_id = Some(call_id);
        }
        (contact, suggested_kb, used_kb, opened_kb)
    }
}

/// How the contact ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[derive(specta::Type)]
pub enum Outcome {
    /// Solved on first contact.
    Solved { summary: String },
    /// Escalated to second level.
    Escalate { reason: String, steps_tried: String, handover_summary: String },
    /// Kept open with a follow-up time (ms since the epoch).
    FollowUp {
        #[specta(type = i32)]
        due: i64,
        note: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Logged {
    pub ticket_id: TicketId,
    pub reference: String,
}

impl<H: HubApi> Desktop<H> {
    pub fn preview_reference(&self) -> Result<Option<String>> {
        self.with_store(|s| Ok(s.peek_next_reference()?.map(|r| r.to_string())))
    }

    pub fn lookup_caller(&self, text: &str) -> Result<CallerLookup> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(CallerLookup { normalized: None, problem: None, customers: vec![], open_tickets: vec![] });
        }
        let found = if text.contains('@') {
            let email = text.to_lowercase();
            let found = self.with_store(|s| Ok(s.find_customers_by_email(&email)?))?;
            (Some(email), found)
        } else {
            match normalise_phone(text, DEFAULT_PHONE_REGION) {
                Ok(phone) => {
                    let found = self.with_store(|s| Ok(s.find_customers_by_phone(&phone)?))?;
                    (Some(phone.as_str().to_owned()), found)
                }
                Err(e) => {
                    let problem = match e {
                        DomainError::Invalid { problem, .. } => problem,
                        other => other.to_string(),
                    };
                    return Ok(CallerLookup {
                        normalized: None,
                        problem: Some(problem),
                        customers: vec![],
                        open_tickets: vec![],
                    });
                }
            }
        };
        let customers = found.1.into_iter().map(|c| self.customer_card(c)).collect::<Result<_>>()?;
        let unlinked = match &found.0 {
            Some(caller) => self.with_store(|s| Ok(s.list_unlinked_tickets_by_caller(caller, UNLINKED_LIMIT)?))?,
            None => vec![],
        };
        let open: Vec<_> = unlinked.into_iter().filter(|t| helpline_domain::is_active(t.status)).collect();
        Ok(CallerLookup { normalized: found.0, problem: None, customers, open_tickets: self.ticket_rows(&open)? })
    }

    /// A new customer from the call form ("new customer" when the caller is unknown).
    /// Tickets logged earlier for the customer's number or address without a customer are
    /// linked to them in the same transaction (synced, an event on each ticket).
    pub fn create_customer(&self, input: NewCustomer) -> Result<CustomerCard> {
        let name = limits::required("name", &input.name, limits::NAME_MAX).map_err(ClientError::from_domain)?;
        let phones = match input.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => vec![normalise_phone(p, DEFAULT_PHONE_REGION).map_err(ClientError::from_domain)?],
            None => vec![],
        };
        let emails: Vec<String> =
            input.email.iter().map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()).collect();
        let company = input.company.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
        let customer_id = CustomerId::new_v7();
        let callers: Vec<String> = phones.iter().map(|p| p.as_str().to_owned()).chain(emails.iter().cloned()).collect();
        let mut mutations = vec![Mutation::UpsertCustomer(CustomerPatch {
            customer_id,
            name: Some(name),
            company,
            emails: Some(emails),
            phones: Some(phones),
            notes: None,
        })];
        mutations.extend(self.link_earlier_contacts(customer_id, &callers)?);
        self.submit_all(mutations)?;
        let customer = self
            .with_store(|s| Ok(s.get_customer(customer_id)?))?
            .ok_or_else(|| ClientError::Internal("the new customer was not saved".into()))?;
        self.customer_card(customer)
    }

    pub fn suggest_kb(&self, text: &str) -> Result<KbSuggestions> {
        use helpline_store::suggest::Fit;
        let found = self.with_store(|s| Ok(s.suggest_kb_articles(text, SUGGESTION_LIMIT)?))?;
        let suggestions: Vec<KbSuggestion> = found
            .hits
            .into_iter()
            .filter_map(|h| {
                let fit = match h.fit {
                    Fit::Strong => SuggestionFit::Strong,
                    Fit::Possible => SuggestionFit::Possible,
                    Fit::None => return None,
                };
                Some(KbSuggestion {
                    id: h.id,
                    title: h.title,
                    snippet: snippet_segments(&without_markdown_marks(&h.snippet)),
                    fit,
                    confidence: h.confidence,
                })
            })
            .collect();
        // Two telling words at least before the window says that nothing fits.
        let nothing_fits = suggestions.is_empty() && found.concepts >= 2;
        Ok(KbSuggestions { suggestions, nothing_fits })
    }

    /// Saves a call form: the ticket with its contact, the KB articles it showed and used,
    /// and how it ended, in one local transaction. A step the rules refuse (a summary too
    /// long, say) leaves nothing of the call behind, and the form keeps what was typed.
    ///
    /// The hub still judges each step as its own mutation: should it refuse the resolve
    /// later, the logged call stays (a contact that happened is never undone) and the
    /// refusal is listed with the hub's reason.
    pub fn submit_contact(&self, form: ContactForm, outcome: Outcome) -> Result<Logged> {
        let (mut contact, suggested_kb, used_kb, opened_kb) = form.into_parts();
        contact.caller = contact.caller.as_deref().and_then(caller_as_taken_down);
        let phrasing = self.callers_words(&contact.subject, &contact.description, contact.customer_id)?;
        let solved_with = used_kb.clone();
        // A known customer calling from a number kept on earlier, customer-less tickets:
        // those are theirs too.
        let links = match (contact.customer_id, &contact.caller) {
            (Some(customer), Some(caller)) => self.link_earlier_contacts(customer, std::slice::from_ref(caller))?,
            _ => vec![],
        };
        let (ticket_id, reference) = self.log_contact_then(contact, |ticket_id| {
            let mut steps = form_steps(
                ticket_id,
                KbSeen { suggested: suggested_kb, opened: opened_kb, used: used_kb },
                Some(outcome),
            );
            steps.extend(links);
            steps
        })?;
        self.keep_phrasing(ticket_id, &solved_with, phrasing);
        Ok(Logged { ticket_id, reference: reference.to_string() })
    }

    /// The call's own words for the articles that solved it, without personal data: the
    /// subject and description cut to the limit, the customer's name taken out.
    pub(crate) fn callers_words(
        &self,
        subject: &str,
        description: &str,
        customer_id: Option<helpline_domain::CustomerId>,
    ) -> Result<String> {
        let names: Vec<String> = match customer_id {
            Some(id) => self.with_store(|s| Ok(s.get_customer(id)?))?.map(|c| vec![c.name]).unwrap_or_default(),
            None => vec![],
        };
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let text = format!("{}\n{}", subject.trim(), description.trim());
        let scrubbed = helpline_domain::phrasing::scrub_personal_data(&text, &names);
        Ok(scrubbed.chars().take(helpline_domain::limits::PHRASING_MAX).collect())
    }

    /// Keeps the call's words with each article that solved it, so the next caller who
    /// says it the same way finds it. Separate from the call's transaction: should the
    /// rules refuse a phrasing (an article archived meanwhile), the call stays logged.
    pub(crate) fn keep_phrasing(&self, ticket_id: TicketId, articles: &[KbArticleId], text: String) {
        if text.trim().is_empty() {
            return;
        }
        for article_id in articles {
            let m = Mutation::AddKbPhrasing {
                article_id: *article_id,
                phrasing_id: helpline_domain::KbPhrasingId::new_v7(),
                ticket_id,
                text: text.clone(),
            };
            if let Err(e) = self.submit(m) {
                tracing::info!(%article_id, error = %e, "the call's words were not kept with the article");
            }
        }
    }

    /// Logs a repeat call from the call form on an open ticket instead of a new one: the
    /// contact (marked as a repeat, the caller kept, what was typed as its notes), the
    /// articles shown and used, and the outcome if any, in one local transaction.
    pub fn submit_repeat_contact(
        &self,
        ticket_id: TicketId,
        form: ContactForm,
        outcome: Option<Outcome>,
    ) -> Result<Logged> {
        let (contact, suggested_kb, used_kb, opened_kb) = form.into_parts();
        let reference = self
            .with_store(|s| Ok(s.get_ticket(ticket_id)?))?
            .ok_or_else(|| {
                ClientError::from_domain(DomainError::NotFound { what: "ticket", id: ticket_id.to_string() })
            })?
            .reference;
        let notes = [contact.subject.trim(), contact.description.trim()]
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        let mut steps = vec![Mutation::LogFollowUpContact {
            ticket_id,
            direction: contact.direction,
            channel: contact.channel,
            duration_seconds: contact.duration_seconds,
            notes,
            repeat: true,
            caller: contact.caller.as_deref().and_then(caller_as_taken_down),
            call_id: contact.call_id.clone(),
        }];
        steps.extend(form_steps(
            ticket_id,
            KbSeen { suggested: suggested_kb, opened: opened_kb, used: used_kb },
            outcome,
        ));
        self.submit_all(steps)?;
        Ok(Logged { ticket_id, reference: reference.to_string() })
    }

    /// Links to `customer` the tickets logged without a customer for any of `callers`.
    fn link_earlier_contacts(&self, customer_id: CustomerId, callers: &[String]) -> Result<Vec<Mutation>> {
        let mut links = Vec::new();
        for caller in callers {
            for t in self.with_store(|s| Ok(s.list_unlinked_tickets_by_caller(caller, UNLINKED_LIMIT)?))? {
                links.push(Mutation::LinkCustomer { ticket_id: t.id, customer_id });
            }
        }
        Ok(links)
    }
}

/// What the form did with the KB: the articles it showed, those opened, those used.
struct KbSeen {
    suggested: Vec<KbArticleId>,
    opened: Vec<KbArticleId>,
    used: Vec<KbArticleId>,
}

/// The form's steps after the contact: the articles it showed, opened and used, then how
/// it ended.
fn form_steps(ticket_id: TicketId, kb: KbSeen, outcome: Option<Outcome>) -> Vec<Mutation> {
    let KbSeen { suggested, mut opened, used } = kb;
    let mut steps = Vec::new();
    let mut shown = suggested;
    shown.extend(used.iter().filter(|u| !shown.contains(u)).copied().collect::<Vec<_>>());
    // An article used was read first.
    opened.extend(used.iter().filter(|u| !opened.contains(u)).copied().collect::<Vec<_>>());
    if !shown.is_empty() || !opened.is_empty() {
        steps.push(Mutation::RecordKbSuggestions { ticket_id, article_ids: shown, opened });
    }
    steps.extend(used.into_iter().map(|article_id| Mutation::UseKbArticle { ticket_id, article_id }));
    steps.extend(outcome.map(|outcome| match outcome {
        Outcome::Solved { summary } => Mutation::Resolve { ticket_id, summary },
        Outcome::Escalate { reason, steps_tried, handover_summary } => {
            Mutation::Escalate { ticket_id, reason, steps_tried, handover_summary }
        }
        Outcome::FollowUp { due, note } => Mutation::SetFollowUp { ticket_id, due: Timestamp::from_millis(due), note },
    }));
    steps
}

/// The caller as the ticket keeps it: an address in lower case, a number in E.164 when it
/// reads as one, else the text as typed (an unknown or odd number is still worth having).
fn caller_as_taken_down(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        None
    } else if text.contains('@') {
        Some(text.to_lowercase())
    } else {
        Some(normalise_phone(text, DEFAULT_PHONE_REGION).map_or_else(|_| text.to_owned(), |p| p.as_str().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_is_kept_normalised_where_it_reads_and_verbatim_where_not() {
        assert_eq!(caller_as_taken_down(" 0151 1234567 ").as_deref(), Some("+491511234567"));
        assert_eq!(caller_as_taken_down("Max.Muster@Example.org").as_deref(), Some("max.muster@example.org"));
        assert_eq!(caller_as_taken_down("Zentrale, Durchwahl 12").as_deref(), Some("Zentrale, Durchwahl 12"));
        assert_eq!(caller_as_taken_down("   "), None);
    }
}
