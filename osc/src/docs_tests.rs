//! `docs/protocol.md` agrees with the code: one `### /kr/...` heading per request address and
//! notification, and each request's section starts with its signature from [`crate::TABLE`]
//! and contains its documentation line, fixed ranges, numeric defaults and reply values.

use crate::{DefaultValue, TABLE};

const DOC: &str = include_str!("../../docs/protocol.md");

/// The lines under `### {address}`, up to the next heading.
fn section(address: &str) -> Option<Vec<&'static str>> {
    let heading = format!("### {address}");
    let mut lines = DOC.lines().skip_while(|l| l.trim() != heading);
    lines.next()?;
    Some(lines.take_while(|l| !l.starts_with('#')).collect())
}

#[test]
fn every_address_is_documented_and_every_documented_address_exists() {
    let mut documented: Vec<&str> = DOC.lines().filter_map(|l| l.strip_prefix("### ")).map(str::trim).collect();
    documented.sort_unstable();
    let mut code: Vec<&str> = crate::ADDRESSES.to_vec();
    code.extend(crate::NOTIFICATIONS);
    code.sort_unstable();
    let missing: Vec<_> = code.iter().filter(|a| !documented.contains(a)).collect();
    let unknown: Vec<_> = documented.iter().filter(|a| !code.contains(a)).collect();
    assert!(missing.is_empty() && unknown.is_empty(), "undocumented: {missing:?}; documented but unknown: {unknown:?}");
    assert_eq!(documented, code, "duplicate headings");
    for a in crate::ADDRESSES {
        assert!(crate::signature(a).is_some(), "{a} has no signature");
    }
}

#[test]
fn requests_are_documented_in_table_order() {
    let documented: Vec<&str> = DOC
        .lines()
        .filter_map(|l| l.strip_prefix("### "))
        .map(str::trim)
        .filter(|a| crate::command_spec(a).is_some())
        .collect();
    assert_eq!(documented, crate::ADDRESSES);
}

/// A request's section starts with its signature (`` `name:s [count:i]` ``, or `No
/// arguments.`) and, with whitespace collapsed, contains the table's doc line, each fixed range
/// as `lo–hi`, each numeric default as `default N`, and the values its reply carries.
#[test]
fn each_request_section_matches_its_table_entry() {
    let mut problems = Vec::new();
    for spec in TABLE {
        let Some(lines) = section(spec.address) else {
            problems.push(format!("{}: no section", spec.address));
            continue;
        };
        let first = lines.iter().find(|l| !l.trim().is_empty()).copied().unwrap_or("");
        let signature_line =
            if spec.args.is_empty() { "No arguments.".to_string() } else { format!("`{}`", spec.signature()) };
        if !first.starts_with(&signature_line) {
            problems.push(format!("{}: the section starts {first:?}, not with {signature_line}", spec.address));
        }
        let text = lines.join(" ").split_whitespace().collect::<Vec<_>>().join(" ");
        let mut wanted = vec![spec.doc.to_string()];
        for arg in spec.args {
            if let Some((lo, hi)) = arg.range {
                wanted.push(format!("{lo}–{hi}"));
            }
            match arg.default {
                Some(DefaultValue::Number(d)) => wanted.push(format!("default {d}")),
                Some(DefaultValue::Int(d)) => wanted.push(format!("default {d}")),
                _ => {}
            }
        }
        if let Some((_, extra)) = spec.reply.split_once("extra: ") {
            wanted.push(extra.to_string());
        }
        for w in wanted {
            if !text.contains(&w) {
                problems.push(format!("{}: the section lacks {w:?}", spec.address));
            }
        }
    }
    assert!(problems.is_empty(), "docs/protocol.md disagrees with the command table:\n{}", problems.join("\n"));
}
