//! A seeded, realistic helpdesk data set: German and English support tickets with the
//! words agents really use (compounds included), KB articles, customers with phone
//! numbers in many notations. The same seed always gives the same data.

use helpline_domain::*;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

const DEVICES_DE: &[&str] = &[
    "Drucker",
    "Netzwerkdrucker",
    "Laserdrucker",
    "Laptop",
    "Monitor",
    "Bildschirm",
    "Router",
    "WLAN-Router",
    "VPN-Client",
    "E-Mail-Postfach",
    "Headset",
    "Telefonanlage",
    "Dockingstation",
    "Tastatur",
    "Scanner",
    "Kartenlesegerät",
    "Firmenhandy",
    "Smartphone",
    "Outlook",
    "Kundenportal",
    "Webshop",
    "Rechnungsportal",
    "Zeiterfassung",
    "Warenwirtschaft",
    "Druckertreiber",
    "Virenscanner",
    "Festplatte",
    "Netzwerkkabel",
];
const PROBLEMS_DE: &[&str] = &[
    "druckt nicht mehr",
    "startet nicht",
    "verbindet sich nicht",
    "zeigt eine Fehlermeldung",
    "ist sehr langsam",
    "stürzt ständig ab",
    "reagiert nicht",
    "meldet Papierstau",
    "findet keinen Server",
    "lässt sich nicht anmelden",
    "flackert",
    "bleibt beim Hochfahren hängen",
    "synchronisiert nicht",
    "zeigt falsche Beträge",
    "ist offline",
];
const DEVICES_EN: &[&str] = &[
    "printer",
    "network printer",
    "laptop",
    "monitor",
    "router",
    "VPN client",
    "mailbox",
    "headset",
    "phone system",
    "docking station",
    "keyboard",
    "scanner",
    "company phone",
    "customer portal",
    "web shop",
    "invoice portal",
    "time tracking",
    "antivirus",
    "hard drive",
    "Outlook",
];
const PROBLEMS_EN: &[&str] = &[
    "does not print",
    "won't start",
    "cannot connect",
    "shows an error message",
    "is very slow",
    "keeps crashing",
    "does not respond",
    "reports a paper jam",
    "cannot find the server",
    "login fails",
    "flickers",
    "hangs during boot",
    "does not sync",
    "shows wrong amounts",
    "is offline",
];
const TOPICS: &[(&str, &str)] = &[
    ("Kündigung des Vertrags", "Die Kundin möchte ihren Vertrag zum Monatsende kündigen und bittet um Bestätigung."),
    ("Rechnung fehlerhaft", "Auf der Rechnung vom letzten Monat ist die Mehrwertsteuer doppelt berechnet."),
    (
        "Passwort zurücksetzen",
        "Der Kunde hat sein Passwort vergessen, die Passwortrücksetzung per E-Mail kommt nicht an.",
    ),
    (
        "Lieferung verspätet",
        "Die Bestellung ist seit zehn Tagen unterwegs, die Sendungsverfolgung zeigt keinen Fortschritt.",
    ),
    ("Adressänderung", "Neue Anschrift: Hauptstraße 12, die Lieferadresse soll ebenfalls geändert werden."),
    ("Lizenz abgelaufen", "Die Softwarelizenz ist abgelaufen, die Verlängerung wurde bereits bezahlt."),
    ("Invoice question", "The customer asks why the invoice shows a late fee although the payment was on time."),
    ("Password reset", "User forgot the password; the reset link in the e-mail has expired."),
    ("Account locked", "The account was locked after three failed login attempts."),
    ("Refund request", "Customer wants a refund for a duplicate charge on the credit card."),
    ("Contract cancellation", "The customer wants to cancel the contract at the end of the month."),
];
const STEPS: &[&str] = &[
    "Gerät neu gestartet",
    "Kabel geprüft und neu gesteckt",
    "Treiber neu installiert",
    "Druckerwarteschlange geleert",
    "Cache im Browser gelöscht",
    "Firmware aktualisiert",
    "IP-Adresse per DHCP neu angefordert",
    "restarted the device",
    "checked the cables",
    "reinstalled the driver",
    "cleared the browser cache",
    "updated the firmware",
    "ping to the gateway works",
    "Kunde zurückgerufen, Problem besteht weiter",
    "Fernwartung gestartet, Ereignisanzeige geprüft",
];
const EXTRAS: &[&str] = &[
    "Der Fehler tritt seit dem letzten Update auf.",
    "Betroffen sind mehrere Arbeitsplätze im 2. OG.",
    "Fehlercode 0x80070005 wird angezeigt.",
    "Die IP 192.168.1.20 ist nicht erreichbar.",
    "The problem started after the Windows update.",
    "Several colleagues on the second floor are affected.",
    "Error code 49 is displayed.",
    "Der PC hängt am Switch im Serverraum.",
    "Im Homeoffice funktioniert es, im Büro nicht.",
    "It works from home but not in the office.",
];
const FIRST_NAMES: &[&str] = &[
    "Anna", "Jonas", "Lea", "Lukas", "Mia", "Felix", "Emma", "Paul", "Sophie", "Ben", "Laura", "Tim", "Julia", "Max",
    "Sarah", "David", "Emily", "Noah", "Olivia", "James",
];
const LAST_NAMES: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
];

#[derive(Debug)]
pub struct Generator {
    rng: SmallRng,
}

/// One generated ticket's life: the mutations, by whom, in order.
#[derive(Debug)]
pub struct TicketScript {
    pub steps: Vec<(Actor, Mutation)>,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Self { rng: SmallRng::seed_from_u64(seed) }
    }

    pub fn rng(&mut self) -> &mut SmallRng {
        &mut self.rng
    }

    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items.choose(&mut self.rng).copied().unwrap_or("")
    }

    /// A subject and description as an agent would type them.
    pub fn problem(&mut self) -> (String, String) {
        let roll = self.rng.random_range(0..10);
        let (subject, mut description) = if roll < 5 {
            let d = self.pick(DEVICES_DE);
            let p = self.pick(PROBLEMS_DE);
            (format!("{d} {p}"), format!("Kunde meldet: {d} {p}."))
        } else if roll < 8 {
            let d = self.pick(DEVICES_EN);
            let p = self.pick(PROBLEMS_EN);
            (format!("{d} {p}"), format!("Customer reports the {d} {p}."))
        } else {
            let (s, d) = *TOPICS.choose(&mut self.rng).unwrap_or(&TOPICS[0]);
            (s.to_owned(), d.to_owned())
        };
        for _ in 0..self.rng.random_range(1..4) {
            description.push(' ');
            description.push_str(self.pick(EXTRAS));
        }
        (subject, description)
    }

    pub fn note(&mut self) -> String {
        let a = self.pick(STEPS);
        let b = self.pick(STEPS);
        let c = self.pick(EXTRAS);
        format!("{a}, {b}. {c}")
    }

    pub fn customer(&mut self, i: usize) -> CustomerPatch {
        let first = self.pick(FIRST_NAMES);
        let last = self.pick(LAST_NAMES);
        let phone = format!("+49 15{} {:07}", self.rng.random_range(1..8), i);
        CustomerPatch {
            customer_id: CustomerId::new_v7(),
            name: Some(format!("{first} {last}")),
            company: (self.rng.random_range(0..3) == 0).then(|| format!("{last} GmbH")),
            emails: Some(vec![format!("{}.{}{i}@example.de", first.to_lowercase(), fold_ascii(last))]),
            phones: Some(vec![normalise_phone(&phone, "DE").expect("generated numbers are valid")]),
            notes: None,
        }
    }

    /// A KB article of roughly 300 words.
    pub fn kb_article(&mut self) -> (String, String, Vec<String>) {
        let (subject, description) = self.problem();
        let mut body = format!("## Problem\n\n{description}\n\n## Lösung / Solution\n\n");
        let mut words = body.split_whitespace().count();
        let mut step = 1;
        while words < 300 {
            let line = format!("{step}. {}. {}\n", self.pick(STEPS), self.pick(EXTRAS));
            words += line.split_whitespace().count();
            body.push_str(&line);
            step += 1;
        }
        let tags = subject.split_whitespace().take(2).map(|w| w.to_lowercase()).collect();
        (subject, body, tags)
    }

    /// A ticket's history: created, a few contacts and notes, escalated for some,
    /// resolved for most.
    pub fn ticket_script(
        &mut self,
        agents: &Agents,
        reference: Reference,
        customer: Option<CustomerId>,
        created: Timestamp,
    ) -> TicketScript {
        let ticket_id = TicketId::new_v7();
        let (subject, description) = self.problem();
        let priority = *[Priority::Low, Priority::Normal, Priority::Normal, Priority::High, Priority::Urgent]
            .choose(&mut self.rng)
            .unwrap_or(&Priority::Normal);
        let due = created.plus_minutes(self.rng.random_range(30..(5 * 24 * 60)));
        let l1 = agents.l1.choose(&mut self.rng).cloned().unwrap_or_else(|| agents.l1[0].clone());
        let l2 = agents.l2.choose(&mut self.rng).cloned().unwrap_or_else(|| agents.l2[0].clone());
        let mut steps = vec![(
            l1.clone(),
            Mutation::LogContact(NewContact {
                ticket_id,
                reference,
                contact: Contact {
                    channel: *[Channel::Phone, Channel::Phone, Channel::Email, Channel::Chat]
                        .choose(&mut self.rng)
                        .unwrap_or(&Channel::Phone),
                    direction: Direction::Inbound,
                    customer_id: customer,
                    category_id: None,
                    subject,
                    description,
                    priority,
                    duration_seconds: self.rng.random_range(30..900),
                    caller: None,
                    call_id: None,
                },
                first_response_due: Some(created.plus_minutes(30)),
                resolution_due: Some(due),
            }),
        )];
        let fate = self.rng.random_range(0..100);
        if fate < 45 {
            steps.push((l1.clone(), Mutation::AddNote { ticket_id, body: self.note() }));
            steps.push((l1.clone(), Mutation::Resolve { ticket_id, summary: self.note() }));
        } else if fate < 75 {
            steps.push((l1.clone(), Mutation::AddNote { ticket_id, body: self.note() }));
            steps.push((l1.clone(), Mutation::AddNote { ticket_id, body: self.note() }));
            if fate < 65 {
                steps.push((l1.clone(), Mutation::Resolve { ticket_id, summary: self.note() }));
            }
        } else {
            steps.push((
                l1.clone(),
                Mutation::Escalate {
                    ticket_id,
                    reason: self.note(),
                    steps_tried: self.note(),
                    handover_summary: self.note(),
                },
            ));
            if fate < 95 {
                steps.push((l2.clone(), Mutation::Claim { ticket_id }));
                steps.push((l2.clone(), Mutation::AddNote { ticket_id, body: self.note() }));
            }
            if fate < 88 {
                steps.push((l2.clone(), Mutation::Resolve { ticket_id, summary: self.note() }));
            }
        }
        TicketScript { steps }
    }
}

fn fold_ascii(s: &str) -> String {
    s.to_lowercase().replace('ü', "ue").replace('ö', "oe").replace('ä', "ae")
}

/// The agents a data set's tickets are worked by.
#[derive(Debug)]
pub struct Agents {
    pub l1: Vec<Actor>,
    pub l2: Vec<Actor>,
    pub all: Vec<Agent>,
}

impl Agents {
    pub fn new(l1: usize, l2: usize) -> Self {
        let mut all = Vec::new();
        let mut make = |role: Role, i: usize| {
            let a = Agent {
                id: AgentId::new_v7(),
                name: format!("{role} {i}"),
                login: format!("{role}{i}"),
                role,
                department_id: None,
                languages: vec!["de".into(), "en".into()],
                active: true,
                phone_identities: Vec::new(),
                phone_queues: Vec::new(),
            };
            all.push(a.clone());
            Actor { agent_id: a.id, role, department_id: None }
        };
        let l1 = (0..l1).map(|i| make(Role::FirstLevel, i)).collect();
        let l2 = (0..l2).map(|i| make(Role::SecondLevel, i)).collect();
        Self { l1, l2, all }
    }
}

/// How much data [`load_data_set`] writes.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub tickets: usize,
    pub kb: usize,
    pub customers: usize,
}

/// Writes the data set into `store` as confirmed state (customers, published KB articles,
/// tickets with their events); returns the customers and the number of ticket events.
pub fn load_data_set(
    store: &mut helpline_store::Store,
    sizes: &Sizes,
    generator: &mut Generator,
    agents: &Agents,
    clock: Timestamp,
) -> anyhow::Result<(Vec<Customer>, usize)> {
    use anyhow::Context as _;
    for a in &agents.all {
        store.upsert_agent(a)?;
    }
    // Load through the same path a pull takes: confirmed changes, applied by `rebase`
    // in large transactions.
    let admin = Actor { agent_id: agents.l2[0].agent_id, role: Role::Admin, department_id: None };
    let mut customers: Vec<Customer> = Vec::with_capacity(sizes.customers);
    let mut batch = Vec::new();
    for i in 0..sizes.customers {
        let patch = generator.customer(i);
        let changes = apply(&State::default(), &admin, MutationId::new_v7(), &Mutation::UpsertCustomer(patch), clock)?;
        if let Some(Change::Customer(c)) = changes.first() {
            customers.push(c.clone());
        }
        batch.extend(changes);
        if batch.len() >= 10_000 {
            store.write_confirmed(&std::mem::take(&mut batch))?;
        }
    }
    for _ in 0..sizes.kb {
        let (title, body, tags) = generator.kb_article();
        let id = KbArticleId::new_v7();
        let mut state = State::default();
        let draft = KbArticleDraft {
            article_id: id,
            base_revision: None,
            title,
            body,
            tags,
            category_id: None,
            visibility: Visibility::Internal,
            source_ticket: None,
        };
        let saved = apply(&state, &admin, MutationId::new_v7(), &Mutation::SaveKbArticle(draft), clock)?;
        state.absorb(&saved);
        let published = apply(
            &state,
            &admin,
            MutationId::new_v7(),
            &Mutation::PublishKbArticle { article_id: id, revision: None },
            clock,
        )?;
        batch.extend(published);
        if batch.len() >= 2_000 {
            store.write_confirmed(&std::mem::take(&mut batch))?;
        }
    }
    store.write_confirmed(&std::mem::take(&mut batch))?;
    let devices: Vec<DeviceCode> =
        ["A1", "B2", "C3", "D4", "E5"].iter().map(|c| DeviceCode::parse(c)).collect::<Result<_, _>>()?;
    let mut events = 0usize;
    for i in 0..sizes.tickets {
        let device = devices[i % devices.len()].clone();
        let reference = Reference::new(device, u32::try_from(i / devices.len() + 1)?)?;
        let customer = customers.choose(generator.rng()).cloned();
        let created = clock.plus_minutes(i as i64);
        let script = generator.ticket_script(agents, reference, customer.as_ref().map(|c| c.id), created);
        let mut state = State::default();
        if let Some(c) = customer {
            state.customers.insert(c.id, c);
        }
        for (n, (actor, m)) in script.steps.iter().enumerate() {
            let changes = apply(&state, actor, MutationId::new_v7(), m, created.plus_minutes(n as i64 * 7))
                .with_context(|| format!("generated step {} failed", m.name()))?;
            state.absorb(&changes);
            events += changes.len();
            batch.extend(changes);
        }
        if batch.len() >= 20_000 {
            store.write_confirmed(&std::mem::take(&mut batch))?;
        }
    }
    store.write_confirmed(&std::mem::take(&mut batch))?;
    Ok((customers, events))
}
