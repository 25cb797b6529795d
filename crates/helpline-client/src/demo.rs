//! A small demo data set (customers, KB articles, tickets), written through the normal
//! use cases so it syncs like real work. `cargo xtask run` loads it into a fresh local
//! hub; the end-to-end tests use it too. Publishing articles needs a second-level agent.

use crate::calls::NewCustomer;
use crate::{Desktop, HubApi, Result};
use helpline_domain::{Channel, Contact, Direction, KbArticleDraft, KbArticleId, Priority, Visibility};

#[derive(Debug)]
pub struct DemoArticle {
    pub title: &'static str,
    pub body: &'static str,
    pub tags: &'static [&'static str],
}

pub const ARTICLES: &[DemoArticle] = &[
    DemoArticle {
        title: "Drucker druckt nicht: Warteschlange leeren",
        body: "## Symptome\nDer Drucker zeigt *bereit*, aber Aufträge bleiben in der Warteschlange.\n\n## Lösung\n1. Druckwarteschlange öffnen und alle Aufträge löschen.\n2. Den Dienst **Druckwarteschlange** neu starten.\n3. Testseite drucken.",
        tags: &["drucker", "windows"],
    },
    DemoArticle {
        title: "VPN-Verbindung bricht ab",
        body: "Wenn die VPN-Verbindung nach wenigen Minuten abbricht:\n\n- Energiesparmodus der Netzwerkkarte ausschalten\n- Client auf die aktuelle Version bringen\n- Bei Fehler 809: Router-Firewall prüfen",
        tags: &["vpn", "netzwerk"],
    },
    DemoArticle {
        title: "Passwort zurücksetzen (Kundenportal)",
        body: "Der Kunde klickt auf **Passwort vergessen** und bekommt eine E-Mail. Kommt sie nicht an: Spam-Ordner prüfen, dann die hinterlegte Adresse im Kundenkonto vergleichen.",
        tags: &["passwort", "portal"],
    },
    DemoArticle {
        title: "Router restart fixes dropped internet connection",
        body: "Most connection drops end after a **full router restart**: unplug the power for 30 seconds, wait until the online light is steady, then test again.",
        tags: &["router", "internet"],
    },
    DemoArticle {
        title: "Rechnung doppelt abgebucht",
        body: "Doppelte Abbuchungen prüft die Buchhaltung. Rechnungsnummer und Kontoauszug notieren und an die Abteilung Buchhaltung eskalieren; der Kunde bekommt innerhalb von 3 Werktagen Antwort.",
        tags: &["rechnung", "buchhaltung"],
    },
    DemoArticle {
        title: "E-Mail-Postfach voll",
        body: "Alte Nachrichten archivieren oder das Postfach im Kundenportal auf 50 GB erweitern.",
        tags: &["email"],
    },
    DemoArticle {
        title: "WLAN langsam: Kanal wechseln",
        body: "Im Routermenü unter *WLAN → Funkkanal* automatische Kanalwahl einschalten; bei vielen Nachbarnetzen 5 GHz verwenden.",
        tags: &["wlan", "router"],
    },
    DemoArticle {
        title: "Software-Lizenz aktivieren",
        body: "Lizenzschlüssel unter *Hilfe → Lizenz* eingeben. Fehler L-42 bedeutet: Schlüssel bereits auf zwei Geräten aktiv.",
        tags: &["lizenz"],
    },
];

const CUSTOMERS: &[(&str, Option<&str>, &str, &str)] = &[
    ("Maria Schneider", Some("Schneider Bau GmbH"), "+49 30 1234567", "maria@schneider-bau.example"),
    ("Thomas Müller", None, "0151 2345678", "t.mueller@example.com"),
    ("Aylin Demir", Some("Demir Logistik"), "+49 40 7654321", "aylin@demir-logistik.example"),
    ("Jan de Vries", Some("Vries Consulting"), "+31 20 5551234", "jan@vries.example"),
    ("Sophie Wagner", None, "089 9876543", "sophie.wagner@example.org"),
    ("Lukas Becker", Some("Becker & Söhne"), "+49 221 445566", "lukas@becker-soehne.example"),
];

const TICKETS: &[(&str, &str, Priority)] = &[
    ("Drucker im Büro druckt nicht", "Aufträge hängen in der Warteschlange, Neustart half nicht.", Priority::High),
    ("VPN trennt alle 10 Minuten", "Seit dem Update bricht die VPN-Verbindung regelmäßig ab.", Priority::Normal),
    ("Rechnung März doppelt abgebucht", "Betrag wurde zweimal vom Konto eingezogen.", Priority::Urgent),
    ("Passwort-Mail kommt nicht an", "Kunde hat Passwort vergessen, keine E-Mail erhalten.", Priority::Normal),
    ("Internet drops every evening", "Connection lost around 8 pm daily.", Priority::Low),
    ("Lizenz lässt sich nicht aktivieren", "Fehler L-42 beim Aktivieren auf dem neuen Laptop.", Priority::Normal),
];

/// Loads the demo data as the signed-in agent (a second-level agent, to publish the
/// articles). Returns the ids of the published articles.
pub fn seed_demo<H: HubApi>(desktop: &Desktop<H>) -> Result<Vec<KbArticleId>> {
    let mut articles = Vec::new();
    for a in ARTICLES {
        let draft = KbArticleDraft {
            article_id: KbArticleId::new_v7(),
            base_revision: None,
            title: a.title.into(),
            body: a.body.into(),
            tags: a.tags.iter().map(|t| (*t).to_owned()).collect(),
            category_id: None,
            visibility: Visibility::Internal,
            source_ticket: None,
        };
        articles.push(desktop.save_kb_article(draft, true)?);
    }
    let mut customers = Vec::new();
    for (name, company, phone, email) in CUSTOMERS {
        let card = desktop.create_customer(NewCustomer {
            name: (*name).into(),
            company: company.map(str::to_owned),
            phone: Some((*phone).into()),
            email: Some((*email).into()),
        })?;
        customers.push(card.id);
    }
    for (i, (subject, description, priority)) in TICKETS.iter().enumerate() {
        desktop.log_contact(Contact {
            channel: [Channel::Phone, Channel::Email, Channel::Chat][i % 3],
            direction: Direction::Inbound,
            customer_id: customers.get(i % customers.len()).copied(),
            category_id: None,
            subject: (*subject).into(),
            description: (*description).into(),
            priority: *priority,
            duration_seconds: 180 + 40 * i as u32,
            caller: None,
            call_id: None,
        })?;
    }
    Ok(articles)
}
