//! A small helpdesk to run mutations against: two expert departments, two categories,
//! an agent of every role (two of first and second level, an expert per department, a
//! disabled agent), two customers and two KB articles (one published, one draft).
//!
//! Every id is a deterministic UUIDv7 (`uuid7(tag, n)`), and every mutation gets a fresh
//! id and a `now` one minute after the previous one, so runs are reproducible.

use helpline_domain::*;
use uuid::Uuid;

/// 2026-01-01T08:00:00Z: the fixture's clock starts here.
pub const T0_MS: u64 = 1_767_254_400_000;
pub const T0: Timestamp = Timestamp::from_millis(1_767_254_400_000);

const TAG_AGENT: u8 = 1;
const TAG_DEPARTMENT: u8 = 2;
const TAG_CATEGORY: u8 = 3;
const TAG_CUSTOMER: u8 = 4;
const TAG_ARTICLE: u8 = 5;
const TAG_TICKET: u8 = 6;
const TAG_CONSULT: u8 = 7;
const TAG_MUTATION: u8 = 8;
const TAG_UNKNOWN: u8 = 9;
const TAG_POOL: u8 = 10;

/// A UUIDv7 made from a tag (what kind of thing) and a number: stable across runs, and
/// distinct for distinct (tag, n).
pub fn uuid7(tag: u8, n: u64) -> Uuid {
    let mut random = [0u8; 10];
    random[1] = tag; // byte 7 of the UUID: kept whole by the builder
    random[2..].copy_from_slice(&n.to_be_bytes()); // bytes 8..16: only the top 2 bits become the variant
    uuid::Builder::from_unix_timestamp_millis(T0_MS + n, &random).into_uuid()
}

/// Ids nothing in the fixture has: for "does not exist" checks.
pub fn unknown(n: u64) -> Uuid {
    uuid7(TAG_UNKNOWN, n)
}

/// Fixed ids for the property tests' pools (tickets, articles, customers created
/// during a run).
pub fn pool(n: u64) -> Uuid {
    uuid7(TAG_POOL, n)
}

pub fn dept_it() -> DepartmentId {
    DepartmentId(uuid7(TAG_DEPARTMENT, 1))
}
pub fn dept_accounting() -> DepartmentId {
    DepartmentId(uuid7(TAG_DEPARTMENT, 2))
}
pub fn cat_printers() -> CategoryId {
    CategoryId(uuid7(TAG_CATEGORY, 1))
}
pub fn cat_billing() -> CategoryId {
    CategoryId(uuid7(TAG_CATEGORY, 2))
}
/// Anna Meier: company, one e-mail, one phone, notes.
pub fn anna() -> CustomerId {
    CustomerId(uuid7(TAG_CUSTOMER, 1))
}
/// Bernd Meier: likely the same household as Anna; another e-mail and phone, no company.
pub fn bernd() -> CustomerId {
    CustomerId(uuid7(TAG_CUSTOMER, 2))
}
/// Published, written by second level.
pub fn kb_vpn() -> KbArticleId {
    KbArticleId(uuid7(TAG_ARTICLE, 1))
}
/// A draft, written by the IT expert.
pub fn kb_printer_draft() -> KbArticleId {
    KbArticleId(uuid7(TAG_ARTICLE, 2))
}
/// An agent whose account is disabled (first level).
pub fn disabled_agent() -> AgentId {
    AgentId(uuid7(TAG_AGENT, 99))
}

pub fn phone(typed: &str) -> PhoneNumber {
    normalise_phone(typed, DEFAULT_REGION).expect("fixture phone numbers are valid")
}

/// The agents of the fixture, one or two per role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Who {
    L1,
    L1b,
    L2,
    L2b,
    ExpertIt,
    ExpertAccounting,
    Supervisor,
    Admin,
    /// The hub's mail system (not in `ALL`: no agent works as it).
    MailSystem,
}

impl Who {
    pub const ALL: [Who; 8] =
        [Who::L1, Who::L1b, Who::L2, Who::L2b, Who::ExpertIt, Who::ExpertAccounting, Who::Supervisor, Who::Admin];

    pub fn role(self) -> Role {
        match self {
            Who::L1 | Who::L1b => Role::FirstLevel,
            Who::L2 | Who::L2b => Role::SecondLevel,
            Who::ExpertIt | Who::ExpertAccounting => Role::Expert,
            Who::Supervisor => Role::Supervisor,
            Who::Admin | Who::MailSystem => Role::Admin,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Who::L1 => "Lena Lindner",
            Who::L1b => "Lars Lang",
            Who::L2 => "Zoe Zimmer",
            Who::L2b => "Paul Peters",
            Who::ExpertIt => "Ida Igel",
            Who::ExpertAccounting => "Bruno Buch",
            Who::Supervisor => "Sara Schulz",
            Who::Admin => "Adam Adler",
            Who::MailSystem => "Mail",
        }
    }

    pub fn id(self) -> AgentId {
        if self == Who::MailSystem {
            return MAIL_SYSTEM;
        }
        let n = Who::ALL.iter().position(|w| *w == self).expect("every Who is in ALL");
        AgentId(uuid7(TAG_AGENT, n as u64 + 1))
    }

    pub fn department(self) -> Option<DepartmentId> {
        match self {
            Who::ExpertIt => Some(dept_it()),
            Who::ExpertAccounting => Some(dept_accounting()),
            _ => None,
        }
    }

    pub fn actor(self) -> Actor {
        Actor { agent_id: self.id(), role: self.role(), department_id: self.department() }
    }

    pub fn agent(self) -> Agent {
        Agent {
            id: self.id(),
            name: self.name().to_owned(),
            login: self.name().split(' ').next().unwrap_or_default().to_lowercase(),
            role: self.role(),
            department_id: self.department(),
            languages: vec!["de".into(), "en".into()],
            active: true,
            phone_identities: Vec::new(),
            phone_queues: Vec::new(),
        }
    }

    /// The expert of a department.
    pub fn expert_of(department: DepartmentId) -> Who {
        if department == dept_accounting() { Who::ExpertAccounting } else { Who::ExpertIt }
    }
}

/// The texts an escalation needs.
pub fn escalate(ticket_id: TicketId) -> Mutation {
    Mutation::Escalate {
        ticket_id,
        reason: "Drucker meldet Fehler 0x51, Handbuch hilft nicht".into(),
        steps_tried: "Neustart, Treiber neu installiert".into(),
        handover_summary: "Kundin kann seit Montag nicht drucken; Fehler 0x51".into(),
    }
}

/// A state plus a clock: apply mutations as an agent, absorb what they change.
#[derive(Debug, Clone)]
pub struct World {
    pub state: State,
    pub now: Timestamp,
    seq: u64,
    references: u32,
}

impl World {
    /// The standard helpdesk (see the module doc). Customers and articles are made through
    /// `apply`, as the app makes them.
    pub fn standard() -> World {
        let mut state = State::default();
        for who in Who::ALL {
            state.agents.insert(who.id(), who.agent());
        }
        state.agents.insert(
            disabled_agent(),
            Agent {
                id: disabled_agent(),
                name: "Olga Alt".into(),
                login: "olga".into(),
                role: Role::FirstLevel,
                department_id: None,
                languages: vec!["de".into()],
                active: false,
                phone_identities: Vec::new(),
                phone_queues: Vec::new(),
            },
        );
        state.departments.extend([dept_it(), dept_accounting()]);
        state.categories.extend([cat_printers(), cat_billing()]);
        let mut w = World { state, now: T0, seq: 0, references: 0 };

        w.ok(
            Who::L1,
            &Mutation::UpsertCustomer(CustomerPatch {
                customer_id: anna(),
                name: Some("Anna Meier".into()),
                company: Some("Meier GmbH".into()),
                emails: Some(vec!["Anna@Meier.de".into()]),
                phones: Some(vec![phone("0151/123 45-67")]),
                notes: Some("Ruft meist vormittags an".into()),
            }),
        );
        w.ok(
            Who::L1,
            &Mutation::UpsertCustomer(CustomerPatch {
                customer_id: bernd(),
                name: Some("Bernd Meier".into()),
                company: None,
                emails: Some(vec!["b.meier@example.com".into()]),
                phones: Some(vec![phone("030 1234567")]),
                notes: Some("Zweitnummer im Büro".into()),
            }),
        );
        w.ok(
            Who::L2,
            &Mutation::SaveKbArticle(KbArticleDraft {
                article_id: kb_vpn(),
                base_revision: None,
                title: "VPN trennt nach 5 Minuten".into(),
                body: "1. Client beenden\n2. Profil neu laden".into(),
                tags: vec!["VPN".into(), "Netzwerk".into()],
                category_id: None,
                visibility: Visibility::Public,
                source_ticket: None,
            }),
        );
        w.ok(Who::L2, &Mutation::PublishKbArticle { article_id: kb_vpn(), revision: None });
        w.ok(
            Who::ExpertIt,
            &Mutation::SaveKbArticle(KbArticleDraft {
                article_id: kb_printer_draft(),
                base_revision: None,
                title: "Druckerwarteschlange zurücksetzen".into(),
                body: "Spooler-Dienst neu starten".into(),
                tags: vec!["drucker".into()],
                category_id: Some(cat_printers()),
                visibility: Visibility::Internal,
                source_ticket: None,
            }),
        );
        w
    }

    fn fresh(&mut self, tag: u8) -> Uuid {
        self.seq += 1;
        uuid7(tag, 1000 + self.seq)
    }
    pub fn fresh_mutation_id(&mut self) -> MutationId {
        MutationId(self.fresh(TAG_MUTATION))
    }
    pub fn fresh_ticket_id(&mut self) -> TicketId {
        TicketId(self.fresh(TAG_TICKET))
    }
    pub fn fresh_consult_id(&mut self) -> ConsultId {
        ConsultId(self.fresh(TAG_CONSULT))
    }
    pub fn fresh_article_id(&mut self) -> KbArticleId {
        KbArticleId(self.fresh(TAG_ARTICLE))
    }
    pub fn fresh_customer_id(&mut self) -> CustomerId {
        CustomerId(self.fresh(TAG_CUSTOMER))
    }
    /// The next ticket reference of this desktop (`K7-0001`, `K7-0002`, ...).
    pub fn next_reference(&mut self) -> Reference {
        self.references += 1;
        Reference::new(DeviceCode::parse("K7").expect("valid device code"), self.references)
            .expect("counter starts at 1")
    }

    /// Applies `m` as `who` with a fresh mutation id, one minute after the previous
    /// mutation, and absorbs the changes. A refusal absorbs nothing, and the state must
    /// be exactly what it was.
    pub fn try_apply(&mut self, who: Who, m: &Mutation) -> Result<Vec<Change>, DomainError> {
        self.now = self.now.plus_minutes(1);
        let mutation_id = self.fresh_mutation_id();
        let before = self.state.clone();
        let result = apply(&self.state, &who.actor(), mutation_id, m, self.now);
        match &result {
            Ok(changes) => self.state.absorb(changes),
            Err(e) => assert_eq!(self.state, before, "refused {} ({e}) but the state changed", m.name()),
        }
        result
    }

    /// Applies `m`, which must succeed.
    #[track_caller]
    pub fn ok(&mut self, who: Who, m: &Mutation) -> Vec<Change> {
        match self.try_apply(who, m) {
            Ok(changes) => changes,
            Err(e) => panic!("{} by {who:?} was refused: {e} ({:?})", m.name(), e.kind()),
        }
    }

    pub fn ticket(&self, id: TicketId) -> &Ticket {
        self.state.tickets.get(&id).expect("ticket exists")
    }
    pub fn article(&self, id: KbArticleId) -> &KbArticle {
        self.state.kb_articles.get(&id).expect("article exists")
    }
    pub fn customer(&self, id: CustomerId) -> &Customer {
        self.state.customers.get(&id).expect("customer exists")
    }

    /// A valid first contact about a new matter (Anna, printers, by phone).
    pub fn new_contact(&mut self) -> NewContact {
        NewContact {
            ticket_id: self.fresh_ticket_id(),
            reference: self.next_reference(),
            contact: Contact {
                channel: Channel::Phone,
                direction: Direction::Inbound,
                customer_id: Some(anna()),
                category_id: Some(cat_printers()),
                subject: "Drucker druckt nicht".into(),
                description: "Seit dem Update bleibt jeder Druckauftrag hängen".into(),
                priority: Priority::Normal,
                duration_seconds: 240,
                caller: None,
                call_id: None,
            },
            first_response_due: Some(T0.plus_minutes(60)),
            resolution_due: Some(T0.plus_minutes(8 * 60)),
        }
    }

    // Tickets in the stages the rules talk about. First level (L1) logs every ticket.

    /// Level 1, open, held by L1 (its creator), one contact.
    pub fn logged(&mut self) -> TicketId {
        let contact = self.new_contact();
        let id = contact.ticket_id;
        self.ok(Who::L1, &Mutation::LogContact(contact));
        id
    }
    /// Level 2, open, unassigned.
    pub fn escalated(&mut self) -> TicketId {
        let t = self.logged();
        self.ok(Who::L1, &escalate(t));
        t
    }
    /// Level 2, open, claimed by L2.
    pub fn claimed(&mut self) -> TicketId {
        let t = self.escalated();
        self.ok(Who::L2, &Mutation::Claim { ticket_id: t });
        t
    }
    /// Level 3 at `department`, unassigned.
    pub fn at_expert(&mut self, department: DepartmentId) -> TicketId {
        let t = self.claimed();
        self.ok(
            Who::L2,
            &Mutation::HandOverToExpert {
                ticket_id: t,
                department_id: department,
                note: "Bitte Druckserver prüfen".into(),
            },
        );
        t
    }
    /// L2 asks `department` on `t`.
    pub fn request_consult(&mut self, t: TicketId, department: DepartmentId) -> ConsultId {
        let consult_id = self.fresh_consult_id();
        self.ok(
            Who::L2,
            &Mutation::RequestConsult {
                ticket_id: t,
                consult_id,
                department_id: department,
                question: "Ist der Druckserver bekannt gestört?".into(),
            },
        );
        consult_id
    }
    /// Resolved at level 1 by L1 on the first contact.
    pub fn resolved(&mut self) -> TicketId {
        let t = self.logged();
        self.ok(Who::L1, &Mutation::Resolve { ticket_id: t, summary: "Treiber aktualisiert".into() });
        t
    }
    /// Resolved, then closed.
    pub fn closed(&mut self) -> TicketId {
        let t = self.resolved();
        self.ok(Who::L1, &Mutation::ChangeStatus { ticket_id: t, status: Status::Closed });
        t
    }

    /// A KB draft by L2, optionally written from a ticket.
    pub fn kb_draft(&mut self, body: &str, source_ticket: Option<TicketId>) -> KbArticleId {
        let article_id = self.fresh_article_id();
        self.ok(
            Who::L2,
            &Mutation::SaveKbArticle(KbArticleDraft {
                article_id,
                base_revision: None,
                title: "Fehler 0x51 beheben".into(),
                body: body.into(),
                tags: vec!["drucker".into()],
                category_id: Some(cat_printers()),
                visibility: Visibility::Internal,
                source_ticket,
            }),
        );
        article_id
    }
}

/// The ticket events among `changes`.
pub fn events(changes: &[Change]) -> Vec<&TicketEvent> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// The names of the ticket events among `changes`, in order.
pub fn event_names(changes: &[Change]) -> Vec<&'static str> {
    events(changes).iter().map(|e| e.kind.name()).collect()
}
