//! `nlf audit`: other vendors' license inventories (NTT ECL, ZStack, NVIDIA License System)
//! read and judged by the library's vendor rules (`nlf::vendor`). Their bodies are not signed:
//! every line says they are trusted as read.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use clap::{Args, ValueEnum};
use nlf::vendor::{self, Demand, Record, Vendor, VendorReport};
use nlf::{Error, Limits};
use serde_json::json;

use crate::io::{expand_inputs, read_bytes, ReadError};
use crate::output::{error_json, moment, print_json};
use crate::Failure;

/// What every line says: nothing here is signed.
const NOT_SIGNED: &str = "NOT SIGNED: trusted as read";

/// Which vendor's bodies (`--vendor`).
#[derive(Clone, Copy, ValueEnum)]
pub enum VendorArg {
    /// NTT Enterprise Cloud List Licenses.
    Ecl,
    /// ZStack GetLicenseInfo / GetLicenseRecords.
    Zstack,
    /// NVIDIA License System pools, leases, entitlements.
    Nls,
}

impl From<VendorArg> for Vendor {
    fn from(v: VendorArg) -> Vendor {
        match v {
            VendorArg::Ecl => Vendor::Ecl,
            VendorArg::Zstack => Vendor::Zstack,
            VendorArg::Nls => Vendor::Nls,
        }
    }
}

/// Arguments of `nlf audit`.
#[derive(Args)]
pub struct AuditArgs {
    /// Read every input as this vendor's body (default: recognise each body).
    #[arg(long, value_enum)]
    pub vendor: Option<VendorArg>,
    /// Judge at this time (RFC 3339, or a date YYYY-MM-DD for its midnight UTC) instead of now.
    #[arg(long, value_name = "TIME", value_parser = crate::parse_now)]
    pub now: Option<DateTime<Utc>>,
    /// Tolerance around start and end times, in seconds (zero or more).
    #[arg(long, value_name = "SECONDS", default_value_t = 0, allow_negative_numbers = true)]
    pub leeway: i64,
    /// Warn of licenses ending within this many days (zero or more).
    #[arg(long, value_name = "DAYS", default_value_t = 30, allow_negative_numbers = true)]
    pub warn_before: i64,
    /// The zone of ZStack's zone-less dates, like +09:00 (default UTC).
    #[arg(long, value_name = "OFFSET")]
    pub vendor_zone: Option<FixedOffset>,
    /// How many licenses of a type are needed: TYPE=N for an ECL license_type, or
    /// zstack:PRODUCT=N, nls:FEATURE=N (repeatable).
    #[arg(long, value_name = "TYPE=N", value_parser = parse_demand)]
    pub demand: Vec<(Vendor, String, u64)>,
    /// Inventory bodies: files, directories or - for standard input.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
}

/// `[vendor:]TYPE=N`.
fn parse_demand(text: &str) -> Result<(Vendor, String, u64), String> {
    let (name, count) =
        text.rsplit_once('=').ok_or("expected TYPE=N, like 'vCenter Server 6.x Standard=2'")?;
    let count: u64 = count.trim().parse().map_err(|_| format!("{count:?} is not a count"))?;
    let (vendor, product) = match name.split_once(':') {
        Some(("zstack", p)) => (Vendor::Zstack, p),
        Some(("nls", p)) => (Vendor::Nls, p),
        Some(("ecl", p)) => (Vendor::Ecl, p),
        _ => (Vendor::Ecl, name),
    };
    if product.is_empty() {
        return Err("the type name is empty".into());
    }
    Ok((vendor, product.to_owned(), count))
}

/// Read, judge, print; `Ok(false)` when an input could not be read.
pub fn run(args: AuditArgs, as_json: bool) -> Result<bool, Failure> {
    let AuditArgs { vendor: only, now, leeway, warn_before, vendor_zone, demand, inputs } = args;
    let usage = |what: &str, e: Error| Failure::Usage(format!("{what}: {e}"));
    let leeway = TimeDelta::try_seconds(leeway)
        .ok_or_else(|| Failure::Usage(format!("--leeway {leeway}: out of range")))?;
    let warn = TimeDelta::try_days(warn_before)
        .ok_or_else(|| Failure::Usage(format!("--warn-before {warn_before}: out of range")))?;
    let mut policy = nlf::Policy::default()
        .with_leeway(leeway)
        .map_err(|e| usage("--leeway", e))?
        .with_warn_before(warn)
        .map_err(|e| usage("--warn-before", e))?;
    if let Some(zone) = vendor_zone {
        policy = policy.with_vendor_zone(zone);
    }
    let now = now.unwrap_or_else(crate::now);
    let limits = Limits::default();
    let files = expand_inputs(&inputs)?.files;

    let mut entitlements = Vec::new();
    let mut leases = Vec::new();
    let mut errors = Vec::new();
    for file in &files {
        let name = file.display().to_string();
        let bytes = match read_bytes(file, limits.max_size) {
            Ok(b) => b,
            Err(ReadError::TooLarge(e)) => {
                errors.push((name, e));
                continue;
            }
            Err(e) => return Err(e.into_failure(file)),
        };
        let read = match only {
            Some(v) => vendor::read_as(v.into(), &bytes, &limits),
            None => vendor::read(&bytes, &limits),
        };
        match read {
            Ok(inventory) => {
                entitlements.extend(inventory.entitlements);
                leases.extend(inventory.leases);
            }
            Err(e) => errors.push((name, e)),
        }
    }
    let mut wanted = Demand::new().with_leases(leases);
    for (v, product, n) in demand {
        wanted = wanted.need(v, product, n);
    }
    let report = vendor::judge(&entitlements, now, &policy, &wanted);
    if as_json {
        let mut value = serde_json::to_value(&report).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.insert("note".into(), json!(NOT_SIGNED));
            let errs: Vec<_> = errors
                .iter()
                .map(|(path, e)| json!({"path": path, "error": error_json(e)}))
                .collect();
            if !errs.is_empty() {
                map.insert("errors".into(), json!(errs));
            }
        }
        print_json(value, true);
    } else {
        print_table(&report, &errors);
    }
    Ok(errors.is_empty())
}

fn term(r: &Record) -> String {
    let show = |t: Option<DateTime<Utc>>, none: &str| t.map_or_else(|| none.to_owned(), moment);
    format!("{}..{}", show(r.start, "always"), show(r.end, "never"))
}

fn quantity(r: &Record) -> String {
    if r.quantities.is_empty() {
        return "-".into();
    }
    let n = |x: Option<u64>| x.map_or_else(|| "?".to_owned(), |v| v.to_string());
    r.quantities
        .iter()
        .map(|q| format!("{}/{} {}", n(q.used), n(q.licensed), q.unit.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_table(report: &VendorReport, errors: &[(String, Error)]) {
    out!("judged at {}: {} ({NOT_SIGNED})", moment(report.judged_at), report.state.as_str());
    // One row per record, columns as wide as their widest cell.
    let header = ["VENDOR", "PRODUCT", "ID", "TERM", "USED/LICENSED", "STATE", "FINDINGS"];
    let rows: Vec<[String; 7]> = report
        .records
        .iter()
        .map(|r| {
            let found: Vec<&str> = report
                .findings
                .iter()
                .filter(|f| f.vendor == r.vendor && f.entitlement.as_deref() == Some(r.id.as_str()))
                .map(|f| f.kind_name())
                .collect();
            [
                r.vendor.to_string(),
                r.product.clone(),
                r.id.clone(),
                term(r),
                quantity(r),
                format!("{}{}", r.state.as_str(), if r.current { "" } else { " (not current)" }),
                if found.is_empty() { "-".to_owned() } else { found.join(",") },
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 7]| {
        let mut text = String::new();
        for (cell, w) in cells.iter().zip(width) {
            text.push_str(&format!("{cell:<w$}  "));
        }
        out!("{text}[{NOT_SIGNED}]");
    };
    line(header);
    for [a, b, c, d, e, f, g] in &rows {
        line([a, b, c, d, e, f, g]);
    }
    for p in &report.products {
        out!(
            "product {} {}: {} ({} of {} needed compliant) [{NOT_SIGNED}]",
            p.vendor,
            p.product,
            p.state.as_str(),
            p.compliant,
            p.needed
        );
    }
    for f in &report.findings {
        out!("{}: {} [{NOT_SIGNED}]", f.kind_name(), f);
    }
    for (path, e) in errors {
        out!("{path}: INVALID [{} {}] {e}", e.code(), e.kind());
    }
}
