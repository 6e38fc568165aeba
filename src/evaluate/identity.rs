//! Rule 1, identity: one license counts once (see [`crate::identity`] for the comparison).

use std::collections::{HashMap, HashSet};

use crate::expand::{FeatureLicense, Origin};
use crate::identity::{compare, Content, LicenseId, Standing};
use crate::serial::SerialKey;

use super::finding::{Finding, FindingKind};

/// A feature license that takes part in the judgement.
#[derive(Clone, Copy)]
pub(super) struct Candidate<'l> {
    pub(super) license: &'l FeatureLicense,
    /// In conflict with another license of its identity (ONTAP 1115616): listed, never in
    /// force.
    pub(super) conflict: bool,
}

/// NetApp (ONTAP REST reference): licenses "are identified … 28 Character Key: name /
/// serial_number; NLFv1: name / serial_number; NLFv2: licenses.installed_license /
/// serial_number"; "License already exists on system" (1115132); "a license with newer
/// timestamp already exists" (1115618); install conflicts (1115616); and (system-admin,
/// manage-licenses-concept) "if an NLF license is installed for a feature, you cannot install
/// a 28-character license key over the NetApp license file for the same feature".
///
/// In order: of several copies of one license (same identity, same content) the copy from the
/// first input (by name) counts (`duplicate`); a key for a package that an NLF with the same
/// serial licenses counts for nothing (`key_under_nlf`); of different licenses of one identity
/// the newer counts (`superseded`), and when none is newer the newest ones are all in
/// conflict (`conflict`, listed but not in force). The result does not depend on input order.
pub(super) fn resolve<'l>(
    licenses: &'l [&'l FeatureLicense],
    findings: &mut Vec<Finding>,
) -> Vec<Candidate<'l>> {
    let finding = |l: &FeatureLicense, kind| Finding { package: l.package.clone(), kind };

    // NLF coverage by (package, serial), with the first NLF input (by name) for the message.
    let mut nlf_cover: HashMap<(&str, &SerialKey), &str> = HashMap::new();
    for l in licenses.iter().filter(|l| matches!(l.origin, Origin::Nlf { .. })) {
        let slot =
            nlf_cover.entry((l.package.as_str(), l.facts.id.serial_number())).or_insert(&l.input);
        if *l.input < **slot {
            *slot = &l.input;
        }
    }

    // One copy per (content, package): the one from the first input by name.
    let mut kept: HashMap<(&Content, &str), usize> = HashMap::with_capacity(licenses.len());
    let mut order: Vec<&'l FeatureLicense> = Vec::with_capacity(licenses.len());
    let mut repeats: Vec<&'l FeatureLicense> = Vec::new();
    for &l in licenses {
        match kept.entry((&l.facts.content, l.package.as_str())) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(order.len());
                order.push(l);
            }
            std::collections::hash_map::Entry::Occupied(o) => match order.get_mut(*o.get()) {
                Some(slot) if *l.input < *slot.input => repeats.push(std::mem::replace(slot, l)),
                _ => repeats.push(l),
            },
        }
    }
    for r in repeats {
        let same_as = kept
            .get(&(&r.facts.content, r.package.as_str()))
            .and_then(|&i| order.get(i))
            .map_or_else(String::new, |k| k.input.to_string());
        findings.push(finding(
            r,
            FindingKind::Duplicate {
                serial: r.serial_number.clone(),
                input: r.input.to_string(),
                same_as,
            },
        ));
    }

    // A key under an NLF for the same feature counts for nothing.
    order.retain(|l| {
        if !matches!(l.origin, Origin::Key { .. }) {
            return true;
        }
        let Some(nlf) = nlf_cover.get(&(l.package.as_str(), l.facts.id.serial_number())) else {
            return true;
        };
        findings.push(finding(
            l,
            FindingKind::KeyUnderNlf {
                serial: l.serial_number.clone(),
                input: l.input.to_string(),
                nlf: (*nlf).to_owned(),
            },
        ));
        false
    });

    // Different contents under one identity: who is in force. Most identities have one
    // content, so the lists are built only for those that have more.
    let mut first: HashMap<&LicenseId, &Content> = HashMap::with_capacity(order.len());
    let mut several: HashSet<&LicenseId> = HashSet::new();
    for &l in &order {
        let c = *first.entry(&l.facts.id).or_insert(&l.facts.content);
        if *c != l.facts.content {
            several.insert(&l.facts.id);
        }
    }
    let mut contents: HashMap<&LicenseId, Vec<&'l FeatureLicense>> = HashMap::new();
    for &l in order.iter().filter(|l| several.contains(&l.facts.id)) {
        let list = contents.entry(&l.facts.id).or_default();
        if !list.iter().any(|o| o.facts.content == l.facts.content) {
            list.push(l);
        }
    }
    let mut superseded: HashSet<&Content> = HashSet::new();
    let mut conflicted: HashSet<&Content> = HashSet::new();
    let mut winner_of: HashMap<&Content, &'l FeatureLicense> = HashMap::new();
    for list in contents.values().filter(|list| list.len() > 1) {
        // The representatives of each content, in a fixed order (by input, then content).
        let mut list = list.clone();
        list.sort_by(|a, b| (&a.input, &a.facts.content).cmp(&(&b.input, &b.facts.content)));
        let top: Vec<&FeatureLicense> = list
            .iter()
            .copied()
            .filter(|a| !list.iter().any(|b| compare(&b.facts, &a.facts) == Standing::Newer))
            .collect();
        for &a in &list {
            if !top.iter().any(|t| t.facts.content == a.facts.content) {
                superseded.insert(&a.facts.content);
                if let Some(&w) = top.first() {
                    winner_of.insert(&a.facts.content, w);
                }
            } else if top.len() > 1 {
                conflicted.insert(&a.facts.content);
                if let Some(&w) = top.iter().find(|t| t.facts.content != a.facts.content) {
                    winner_of.insert(&a.facts.content, w);
                }
            }
        }
    }
    let other = |l: &FeatureLicense| {
        winner_of.get(&l.facts.content).map_or_else(String::new, |w| w.input.to_string())
    };
    let mut out = Vec::with_capacity(order.len());
    for l in order {
        if several.is_empty() {
            out.push(Candidate { license: l, conflict: false });
            continue;
        }
        if superseded.contains(&l.facts.content) {
            findings.push(finding(
                l,
                FindingKind::Superseded {
                    serial: l.serial_number.clone(),
                    input: l.input.to_string(),
                    by: other(l),
                    nlf: matches!(l.origin, Origin::Nlf { .. }),
                },
            ));
            continue;
        }
        let conflict = conflicted.contains(&l.facts.content);
        if conflict {
            findings.push(finding(
                l,
                FindingKind::Conflict {
                    serial: l.serial_number.clone(),
                    input: l.input.to_string(),
                    with: other(l),
                },
            ));
        }
        out.push(Candidate { license: l, conflict });
    }
    out
}
