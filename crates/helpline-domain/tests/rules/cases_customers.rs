//! Customers: patches are last write per field; merging joins likely duplicates.

use super::fixture::*;
use super::table::*;
use helpline_domain::*;

fn patch(customer_id: CustomerId) -> CustomerPatch {
    CustomerPatch { customer_id, name: None, company: None, emails: None, phones: None, notes: None }
}

#[test]
fn customer_patches() {
    run(vec![
        case(
            "a patch keeps the fields it leaves out",
            Who::L1,
            |_| Ctx::customer(anna()),
            |_, c| Mutation::UpsertCustomer(CustomerPatch { company: Some("Meier AG".into()), ..patch(c.cust) }),
            Expect::Ok(|k| {
                let (after, before) = (k.customer(anna()), &k.before.customers[&anna()]);
                assert_eq!(after.company.as_deref(), Some("Meier AG"));
                assert_eq!(
                    (&after.name, &after.emails, &after.phones, &after.notes),
                    (&before.name, &before.emails, &before.phones, &before.notes)
                );
                assert_eq!(after.emails, ["anna@meier.de"], "stored lower-cased");
                assert_eq!(after.phones, [phone("+49 151 1234567")]);
                assert_eq!(after.updated_at, k.w.now);
            }),
        ),
        case(
            "two patches on different fields both stay (last write per field)",
            Who::L1b,
            |w| {
                w.ok(Who::L1, &Mutation::UpsertCustomer(CustomerPatch { notes: Some("VIP".into()), ..patch(anna()) }));
                Ctx::customer(anna())
            },
            |_, c| Mutation::UpsertCustomer(CustomerPatch { company: Some("Meier AG".into()), ..patch(c.cust) }),
            Expect::Ok(|k| {
                let after = k.customer(anna());
                assert_eq!((after.notes.as_str(), after.company.as_deref()), ("VIP", Some("Meier AG")));
            }),
        ),
        case(
            "a later patch of the same field wins",
            Who::L1b,
            |w| {
                w.ok(Who::L1, &Mutation::UpsertCustomer(CustomerPatch { notes: Some("VIP".into()), ..patch(anna()) }));
                Ctx::customer(anna())
            },
            |_, c| Mutation::UpsertCustomer(CustomerPatch { notes: Some("kein VIP mehr".into()), ..patch(c.cust) }),
            Expect::Ok(|k| assert_eq!(k.customer(anna()).notes, "kein VIP mehr")),
        ),
        case(
            "an empty company clears it",
            Who::L1,
            |_| Ctx::customer(anna()),
            |_, c| Mutation::UpsertCustomer(CustomerPatch { company: Some(" ".into()), ..patch(c.cust) }),
            Expect::Ok(|k| assert_eq!(k.customer(anna()).company, None)),
        ),
        case(
            "a new customer needs a name",
            Who::L1,
            nothing,
            |_, c| Mutation::UpsertCustomer(CustomerPatch { company: Some("Firma".into()), ..patch(c.cust) }),
            Expect::Err(ErrorKind::Validation, &["name: is required"]),
        ),
        case(
            "a new customer with a name",
            Who::L2,
            nothing,
            |_, c| {
                Mutation::UpsertCustomer(CustomerPatch {
                    name: Some("Carla Neu".into()),
                    emails: Some(vec!["carla@neu.de".into(), "CARLA@neu.de".into()]),
                    ..patch(c.cust)
                })
            },
            Expect::Ok(|k| {
                let c = k.customer(k.ctx.cust);
                assert_eq!((c.name.as_str(), c.merged_into), ("Carla Neu", None));
                assert_eq!(c.emails, ["carla@neu.de"], "duplicates removed");
            }),
        ),
        case(
            "an invalid e-mail address",
            Who::L1,
            |_| Ctx::customer(anna()),
            |_, c| {
                Mutation::UpsertCustomer(CustomerPatch {
                    emails: Some(vec!["anna(at)meier.de".into()]),
                    ..patch(c.cust)
                })
            },
            Expect::Err(ErrorKind::Validation, &["email: ", "is not an e-mail address"]),
        ),
        case(
            "a name longer than the limit",
            Who::L1,
            |_| Ctx::customer(anna()),
            |_, c| {
                Mutation::UpsertCustomer(CustomerPatch {
                    name: Some("N".repeat(limits::NAME_MAX + 1)),
                    ..patch(c.cust)
                })
            },
            Expect::Err(ErrorKind::Validation, &["name: is 201 characters long; at most 200 are allowed"]),
        ),
        case(
            "an expert cannot edit customers",
            Who::ExpertAccounting,
            |_| Ctx::customer(anna()),
            |_, c| Mutation::UpsertCustomer(CustomerPatch { notes: Some("zahlt spät".into()), ..patch(c.cust) }),
            Expect::Err(ErrorKind::Forbidden, &["expert may not edit customers"]),
        ),
        case(
            "a merged customer cannot be edited",
            Who::L1,
            |w| {
                w.ok(Who::L1, &Mutation::MergeCustomers { from: bernd(), into: anna() });
                Ctx::customer(bernd())
            },
            |_, c| Mutation::UpsertCustomer(CustomerPatch { notes: Some("x".into()), ..patch(c.cust) }),
            Expect::Err(ErrorKind::Conflict, &["this customer was merged into", "edit that one"]),
        ),
    ]);
}

#[test]
fn customer_merges() {
    run(vec![
        case(
            "merging joins e-mails and phones and marks the source merged",
            Who::L1,
            nothing,
            |_, _| Mutation::MergeCustomers { from: bernd(), into: anna() },
            Expect::Ok(|k| {
                let (into, from) = (k.customer(anna()), k.customer(bernd()));
                assert_eq!(into.emails, ["anna@meier.de", "b.meier@example.com"]);
                assert_eq!(into.phones, [phone("0151 1234567"), phone("030 1234567")]);
                assert_eq!(into.notes, "Ruft meist vormittags an\n\nZweitnummer im Büro");
                assert_eq!((into.company.as_deref(), into.merged_into), (Some("Meier GmbH"), None));
                assert_eq!(from.merged_into, Some(anna()));
                assert_eq!((into.updated_at, from.updated_at), (k.w.now, k.w.now));
            }),
        ),
        case(
            "merging does not repeat what both records have",
            Who::L2,
            |w| {
                w.ok(
                    Who::L1,
                    &Mutation::UpsertCustomer(CustomerPatch {
                        emails: Some(vec!["anna@meier.de".into(), "b.meier@example.com".into()]),
                        ..patch(bernd())
                    }),
                );
                Ctx::none()
            },
            |_, _| Mutation::MergeCustomers { from: bernd(), into: anna() },
            Expect::Ok(|k| assert_eq!(k.customer(anna()).emails, ["anna@meier.de", "b.meier@example.com"])),
        ),
        case(
            "the target's company is kept; a missing one is taken from the source",
            Who::L1,
            nothing,
            |_, _| Mutation::MergeCustomers { from: anna(), into: bernd() },
            Expect::Ok(|k| assert_eq!(k.customer(bernd()).company.as_deref(), Some("Meier GmbH"))),
        ),
        case(
            "merging a customer into itself",
            Who::L1,
            nothing,
            |_, _| Mutation::MergeCustomers { from: anna(), into: anna() },
            Expect::Err(ErrorKind::Validation, &["merge: a customer cannot be merged into itself"]),
        ),
        case(
            "merging a customer that was already merged",
            Who::L1,
            |w| {
                w.ok(Who::L1, &Mutation::MergeCustomers { from: bernd(), into: anna() });
                Ctx::none()
            },
            |_, _| Mutation::MergeCustomers { from: bernd(), into: anna() },
            Expect::Err(ErrorKind::Conflict, &["Bernd Meier was already merged into"]),
        ),
        case(
            "merging into a customer that was merged away",
            Who::L1,
            |w| {
                w.ok(Who::L1, &Mutation::MergeCustomers { from: bernd(), into: anna() });
                Ctx::none()
            },
            |_, _| Mutation::MergeCustomers { from: anna(), into: bernd() },
            Expect::Err(ErrorKind::Conflict, &["Bernd Meier was already merged into"]),
        ),
        case(
            "merging an unknown customer",
            Who::L1,
            nothing,
            |_, c| Mutation::MergeCustomers { from: c.cust, into: anna() },
            Expect::Err(ErrorKind::NotFound, &["customer ", " does not exist"]),
        ),
        case(
            "merging into an unknown customer",
            Who::L1,
            nothing,
            |_, c| Mutation::MergeCustomers { from: anna(), into: c.cust },
            Expect::Err(ErrorKind::NotFound, &["customer ", " does not exist"]),
        ),
        case(
            "an expert cannot merge customers",
            Who::ExpertIt,
            nothing,
            |_, _| Mutation::MergeCustomers { from: bernd(), into: anna() },
            Expect::Err(ErrorKind::Forbidden, &["may not merge customers"]),
        ),
    ]);
}
