//! Which Dun column each of a file's columns is.
//!
//! A column is read as the Dun column it names; else as the user maps it
//! (`--map their=ours`, or a mapping file's `[columns]` table); else as
//! the Dun column whose common name in other systems it has (the synonyms
//! below, recognised with a warning naming the column and what it was read
//! as). Header names are compared by [`header_key`]: without case, spaces,
//! underscores or punctuation, so `Invoice No.`, `invoice_no` and
//! `INVOICE NO` are one name. Anything else is refused before a row is
//! read: a column Dun does not know, a mapping to a column Dun does not
//! have, a mapped column the file lacks, two file columns read as one Dun
//! column.

use std::collections::{BTreeMap, HashMap};

use dun_core::import::{ImportErrors, ImportWarning};

/// Which file an import reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Customers,
    Invoices,
    Payments,
}

/// A mapping's target that leaves the file's column unread.
pub const IGNORED: &str = "-";

/// The common names other systems give Dun's columns, per file: Dun's
/// column, then the names read as it (compared by [`header_key`]). One
/// table, documented in the README ("CSV columns").
const CUSTOMER_SYNONYMS: &[(&str, &[&str])] = &[
    (
        "ref",
        &[
            "customer ref",
            "customer id",
            "customer no",
            "customer number",
            "customer code",
            "account",
            "account no",
            "account number",
            "client id",
            "debtor id",
        ],
    ),
    (
        "name",
        &[
            "customer name",
            "company",
            "company name",
            "client name",
            "account name",
            "debtor name",
        ],
    ),
    (
        "email",
        &["e-mail", "email address", "e-mail address", "mail"],
    ),
    ("phone", &["telephone", "tel", "phone number"]),
    ("credit_limit", &["credit limit", "limit"]),
    ("terms", &["payment terms"]),
    ("notes", &["note", "comments", "remarks"]),
    (
        "payment_methods",
        &[
            "payment methods",
            "payment method",
            "accepted payment methods",
        ],
    ),
];

const INVOICE_SYNONYMS: &[(&str, &[&str])] = &[
    (
        "number",
        &[
            "invoice",
            "invoice no",
            "invoice number",
            "invoice id",
            "inv",
            "inv #",
            "inv no",
            "document number",
            "document no",
            "doc no",
        ],
    ),
    (
        "customer_ref",
        &[
            "client",
            "customer",
            "customer id",
            "customer no",
            "customer number",
            "account",
            "account no",
            "account number",
            "client id",
        ],
    ),
    (
        "issue_date",
        &[
            "date",
            "invoice date",
            "issued",
            "issued on",
            "document date",
        ],
    ),
    (
        "due_date",
        &["due", "due on", "payment due", "payment due date"],
    ),
    ("currency", &["ccy", "currency code", "cur"]),
    ("description", &["memo", "details", "text"]),
    (
        "amount",
        &[
            "total",
            "amount due",
            "balance",
            "balance due",
            "open amount",
            "outstanding",
            "invoice total",
            "invoice amount",
        ],
    ),
    ("quantity", &["qty"]),
    ("unit_price", &["price", "unit cost", "rate"]),
    ("tax_rate", &["tax", "tax %", "vat", "vat %", "vat rate"]),
];

const PAYMENT_SYNONYMS: &[(&str, &[&str])] = &[
    (
        "date",
        &[
            "paid on",
            "payment date",
            "value date",
            "received",
            "received on",
            "date received",
        ],
    ),
    (
        "customer_ref",
        &[
            "client",
            "customer",
            "customer id",
            "customer no",
            "customer number",
            "account",
            "account no",
            "account number",
            "client id",
        ],
    ),
    (
        "amount",
        &["amount paid", "paid", "payment amount", "total"],
    ),
    ("currency", &["ccy", "currency code", "cur"]),
    ("reference", &["ref", "payment reference", "remittance"]),
    (
        "invoice_number",
        &[
            "invoice",
            "invoice no",
            "invoice number",
            "inv",
            "inv #",
            "inv no",
        ],
    ),
    ("method", &["payment method", "paid by"]),
];

impl FileKind {
    pub const ALL: [FileKind; 3] = [FileKind::Customers, FileKind::Invoices, FileKind::Payments];

    /// `customers`, `invoices`, `payments`: the file's name in `dun import`
    /// and on the web's import page.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Customers => "customers",
            FileKind::Invoices => "invoices",
            FileKind::Payments => "payments",
        }
    }

    pub fn parse(text: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Dun's columns of this file.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            FileKind::Customers => &crate::CUSTOMER_COLUMNS,
            FileKind::Invoices => &crate::INVOICE_COLUMNS,
            FileKind::Payments => &crate::PAYMENT_COLUMNS,
        }
    }

    /// The columns a file must have.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            FileKind::Customers => &["ref", "name"],
            FileKind::Invoices => &[
                "number",
                "customer_ref",
                "issue_date",
                "due_date",
                "currency",
            ],
            FileKind::Payments => &["date", "customer_ref", "amount", "currency"],
        }
    }

    /// Dun's column and the other names read as it, for this file.
    pub fn synonyms(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            FileKind::Customers => CUSTOMER_SYNONYMS,
            FileKind::Invoices => INVOICE_SYNONYMS,
            FileKind::Payments => PAYMENT_SYNONYMS,
        }
    }

    fn known(self, column: &str) -> Option<&'static str> {
        self.columns().iter().copied().find(|c| *c == column)
    }

    /// The Dun column a header other than Dun's own names is read as.
    fn synonym(self, header: &str) -> Option<&'static str> {
        let key = header_key(header);
        if key.is_empty() {
            return None;
        }
        self.synonyms()
            .iter()
            .find(|(ours, names)| {
                header_key(ours) == key || names.iter().any(|n| header_key(n) == key)
            })
            .map(|(ours, _)| *ours)
    }
}

/// A header name as compared: letters and digits only, lower case.
pub fn header_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The user's mapping: a file's column (by its header) read as a Dun column.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnMap {
    /// By [`header_key`] of the file's column: (its name as written, ours).
    pairs: BTreeMap<String, (String, String)>,
}

impl ColumnMap {
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Adds `their=ours` pairs, comma-separated (`--map invoice_no=number,client=customer_ref`).
    pub fn add_pairs(&mut self, text: &str) -> Result<(), String> {
        for pair in text.split(',').filter(|p| !p.trim().is_empty()) {
            let Some((their, ours)) = pair.split_once('=') else {
                return Err(format!(
                    "'{}' is not a mapping; write THEIR=OURS, e.g. invoice_no=number",
                    pair.trim()
                ));
            };
            self.add(their, ours)?;
        }
        Ok(())
    }

    /// Adds a mapping file: TOML with a `[columns]` table,
    /// `"Invoice No" = "number"` (`"-"` leaves a column unread).
    pub fn add_toml(&mut self, text: &str) -> Result<(), String> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| format!("not TOML: {}", e.to_string().trim()))?;
        for (key, value) in &table {
            if key != "columns" {
                return Err(format!(
                    "unknown key '{key}'; a mapping file has one table, [columns], of \"their column\" = \"dun column\""
                ));
            }
            let Some(columns) = value.as_table() else {
                return Err(
                    "columns must be a table: [columns] then \"their column\" = \"dun column\""
                        .into(),
                );
            };
            for (their, ours) in columns {
                let Some(ours) = ours.as_str() else {
                    return Err(format!(
                        "columns.\"{their}\": the Dun column must be a string in quotes"
                    ));
                };
                self.add(their, ours)?;
            }
        }
        Ok(())
    }

    fn add(&mut self, their: &str, ours: &str) -> Result<(), String> {
        let (their, ours) = (their.trim(), ours.trim().to_ascii_lowercase());
        let key = header_key(their);
        if key.is_empty() || ours.is_empty() {
            return Err(format!(
                "'{their}={ours}': both a column of the file and a Dun column (or -) are needed"
            ));
        }
        match self.pairs.get(&key) {
            Some((_, before)) if *before != ours => Err(format!(
                "column '{their}' is mapped twice: to {before} and to {ours}"
            )),
            _ => {
                self.pairs.insert(key, (their.to_string(), ours));
                Ok(())
            }
        }
    }

    /// The mapping as text, the same for the same mapping however it was
    /// written: part of an import's identity.
    pub fn canonical(&self) -> String {
        self.pairs
            .iter()
            .map(|(key, (_, ours))| format!("{key}={ours}\n"))
            .collect()
    }
}

/// The file's columns resolved: where each Dun column is read from.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    pub index: HashMap<&'static str, usize>,
    /// Dun column → the file's header, where the two differ.
    pub written: HashMap<&'static str, String>,
    pub warnings: Vec<ImportWarning>,
}

/// Resolves a header (`None`: a name that is not UTF-8, reported already).
pub(crate) fn resolve(
    kind: FileKind,
    names: &[Option<String>],
    map: &ColumnMap,
    errors: &mut ImportErrors,
) -> Option<Columns> {
    let known = kind.columns();
    let mut columns = Columns::default();
    let mut read_as: BTreeMap<&'static str, Vec<&str>> = BTreeMap::new();
    let mut mapped_used = vec![false; map.pairs.len()];
    for (i, name) in names.iter().enumerate() {
        let Some(name) = name else { continue };
        let key = header_key(name);
        let mapped = map.pairs.iter().position(|(k, _)| *k == key);
        let ours = if let Some(m) = mapped {
            mapped_used[m] = true;
            let (_, ours) = map.pairs.values().nth(m).expect("an entry");
            if ours == IGNORED {
                continue;
            }
            match kind.known(ours) {
                Some(ours) => ours,
                None => {
                    errors.push(
                        1,
                        name,
                        "",
                        format!(
                            "the mapping reads this column as '{ours}', which is not a Dun column; the columns are: {} (or - to leave it unread)",
                            known.join(", ")
                        ),
                    );
                    continue;
                }
            }
        } else if let Some(ours) = kind.known(&name.to_ascii_lowercase()) {
            ours
        } else if let Some(ours) = kind.synonym(name) {
            columns.warnings.push(ImportWarning {
                rows: vec![1],
                message: format!(
                    "column '{name}' read as {ours} (a common name for it; --map '{name}=…' reads it otherwise)"
                ),
            });
            ours
        } else {
            errors.push(
                1,
                name,
                "",
                format!(
                    "unknown column; the columns are: {}; map it with --map '{name}=COLUMN', or --map '{name}=-' to leave it unread",
                    known.join(", ")
                ),
            );
            continue;
        };
        read_as.entry(ours).or_default().push(name);
        if columns.index.insert(ours, i).is_none() && name != ours {
            columns.written.insert(ours, name.clone());
        }
    }
    for (used, (_, (their, _))) in mapped_used.iter().zip(&map.pairs) {
        if !used {
            let has: Vec<&str> = names.iter().flatten().map(String::as_str).collect();
            errors.push(
                1,
                their,
                "",
                format!(
                    "the mapping names a column the file does not have; its columns are: {}",
                    has.join(", ")
                ),
            );
        }
    }
    for (ours, theirs) in &read_as {
        if theirs.len() > 1 {
            let quoted: Vec<String> = theirs.iter().map(|t| format!("'{t}'")).collect();
            errors.push(
                1,
                ours,
                "",
                format!(
                    "columns {} would all be read as {ours}; leave one unread (--map '{}=-') or map it to another column",
                    quoted.join(" and "),
                    theirs[1]
                ),
            );
        }
    }
    let required = kind.required();
    for column in required {
        if !columns.index.contains_key(column) {
            errors.push(
                1,
                column,
                "",
                format!(
                    "required column is missing; the header must include: {}",
                    required.join(", ")
                ),
            );
        }
    }
    errors.is_empty().then_some(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<Option<String>> {
        list.iter().map(|n| Some(n.to_string())).collect()
    }

    fn reasons(errors: &ImportErrors) -> String {
        errors
            .errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn header_names_are_compared_without_case_spaces_or_punctuation() {
        assert_eq!(header_key(" Invoice No. "), "invoiceno");
        assert_eq!(header_key("invoice_no"), "invoiceno");
        assert_eq!(header_key("Inv #"), "inv");
        assert_eq!(header_key("E-Mail"), "email");
    }

    #[test]
    fn another_systems_headers_are_read_with_a_warning_each() {
        let mut errors = ImportErrors::default();
        let header = names(&[
            "Inv #",
            "Client",
            "Invoice Date",
            "Payment Due",
            "CCY",
            "Open Amount",
            "description",
        ]);
        let columns = resolve(
            FileKind::Invoices,
            &header,
            &ColumnMap::default(),
            &mut errors,
        )
        .unwrap_or_else(|| panic!("{}", reasons(&errors)));
        for (ours, i) in [
            ("number", 0),
            ("customer_ref", 1),
            ("issue_date", 2),
            ("due_date", 3),
            ("currency", 4),
            ("amount", 5),
            ("description", 6),
        ] {
            assert_eq!(columns.index[ours], i, "{ours}");
        }
        let warnings: Vec<&str> = columns
            .warnings
            .iter()
            .map(|w| w.message.as_str())
            .collect();
        assert_eq!(warnings.len(), 6, "{warnings:?}");
        assert!(warnings[0].starts_with("column 'Inv #' read as number"));
        assert!(warnings.iter().all(|w| !w.contains("'description'")));
        assert_eq!(columns.written["amount"], "Open Amount");
        // The same names mean other columns in other files.
        let mut errors = ImportErrors::default();
        let columns = resolve(
            FileKind::Payments,
            &names(&["Value Date", "Account", "Amount Paid", "Ccy", "Invoice No"]),
            &ColumnMap::default(),
            &mut errors,
        )
        .unwrap_or_else(|| panic!("{}", reasons(&errors)));
        assert_eq!(columns.index["date"], 0);
        assert_eq!(columns.index["invoice_number"], 4);
        let mut errors = ImportErrors::default();
        let columns = resolve(
            FileKind::Customers,
            &names(&["Customer ID", "Company", "Email Address"]),
            &ColumnMap::default(),
            &mut errors,
        )
        .unwrap_or_else(|| panic!("{}", reasons(&errors)));
        assert_eq!(
            (
                columns.index["ref"],
                columns.index["name"],
                columns.index["email"]
            ),
            (0, 1, 2)
        );
    }

    #[test]
    fn a_mapping_reads_columns_as_told_and_leaves_out_what_it_says() {
        let mut map = ColumnMap::default();
        map.add_pairs("Beleg=number, Kunde=customer_ref").unwrap();
        map.add_toml("[columns]\n\"Datum\" = \"issue_date\"\n\"Fällig\" = \"due_date\"\nBearbeiter = \"-\"\n")
            .unwrap();
        let mut errors = ImportErrors::default();
        let columns = resolve(
            FileKind::Invoices,
            &names(&[
                "Beleg",
                "kunde",
                "DATUM",
                "Fällig",
                "currency",
                "amount",
                "Bearbeiter",
            ]),
            &map,
            &mut errors,
        )
        .unwrap_or_else(|| panic!("{}", reasons(&errors)));
        assert_eq!(columns.index["number"], 0);
        assert_eq!(columns.index["customer_ref"], 1);
        assert_eq!(columns.index["issue_date"], 2);
        assert_eq!(columns.index["due_date"], 3);
        assert_eq!(columns.index.len(), 6, "Bearbeiter is left unread");
        assert!(columns.warnings.is_empty(), "{:?}", columns.warnings);
        // A mapping to the synonym's column overrides the synonym.
        let mut map = ColumnMap::default();
        map.add_pairs("date=due_date,due=issue_date").unwrap();
        let mut errors = ImportErrors::default();
        let columns = resolve(
            FileKind::Invoices,
            &names(&[
                "number",
                "customer_ref",
                "date",
                "due",
                "currency",
                "amount",
            ]),
            &map,
            &mut errors,
        )
        .unwrap_or_else(|| panic!("{}", reasons(&errors)));
        assert_eq!(
            (columns.index["due_date"], columns.index["issue_date"]),
            (2, 3)
        );
    }

    #[test]
    fn a_bad_mapping_is_refused_naming_what_is_wrong() {
        let mut map = ColumnMap::default();
        map.add_pairs("Beleg=invoice_number,Kunde=customer_ref,Missing=due_date")
            .unwrap();
        let mut errors = ImportErrors::default();
        let resolved = resolve(
            FileKind::Invoices,
            &names(&[
                "Beleg",
                "Kunde",
                "issue_date",
                "due_date",
                "currency",
                "amount",
            ]),
            &map,
            &mut errors,
        );
        assert!(resolved.is_none());
        let text = reasons(&errors);
        assert!(
            text.contains("row 1, column Beleg: the mapping reads this column as 'invoice_number', which is not a Dun column; the columns are: number, customer_ref"),
            "{text}"
        );
        assert!(
            text.contains("row 1, column Missing: the mapping names a column the file does not have; its columns are: Beleg, Kunde, issue_date"),
            "{text}"
        );
        assert!(
            text.contains("row 1, column number: required column is missing"),
            "{text}"
        );
        // Malformed mappings are refused as they are written.
        let mut map = ColumnMap::default();
        assert!(map
            .add_pairs("invoice_no")
            .unwrap_err()
            .contains("THEIR=OURS"));
        assert!(map
            .add_pairs("a=number,A=amount")
            .unwrap_err()
            .contains("mapped twice"));
        assert!(ColumnMap::default()
            .add_toml("[colums]\na = \"number\"\n")
            .unwrap_err()
            .contains("unknown key 'colums'"));
        assert!(ColumnMap::default()
            .add_toml("[columns]\na = 1\n")
            .unwrap_err()
            .contains("string in quotes"));
    }

    #[test]
    fn two_columns_read_as_one_are_refused_naming_both() {
        let mut errors = ImportErrors::default();
        let resolved = resolve(
            FileKind::Invoices,
            &names(&[
                "Invoice No",
                "customer",
                "Document Number",
                "date",
                "due",
                "ccy",
                "total",
            ]),
            &ColumnMap::default(),
            &mut errors,
        );
        assert!(resolved.is_none());
        let text = reasons(&errors);
        assert!(
            text.contains("row 1, column number: columns 'Invoice No' and 'Document Number' would all be read as number"),
            "{text}"
        );
        // Dun's own name beside a synonym of it is ambiguous too.
        let mut errors = ImportErrors::default();
        assert!(resolve(
            FileKind::Payments,
            &names(&["date", "customer_ref", "customer", "amount", "currency"]),
            &ColumnMap::default(),
            &mut errors,
        )
        .is_none());
        assert!(reasons(&errors).contains("'customer_ref' and 'customer'"));
        // Leaving one unread settles it.
        let mut map = ColumnMap::default();
        map.add_pairs("customer=-").unwrap();
        let mut errors = ImportErrors::default();
        assert!(resolve(
            FileKind::Payments,
            &names(&["date", "customer_ref", "customer", "amount", "currency"]),
            &map,
            &mut errors,
        )
        .is_some());
    }

    #[test]
    fn the_canonical_mapping_is_the_same_however_it_is_written() {
        let mut a = ColumnMap::default();
        a.add_pairs("Invoice No=number,client=customer_ref")
            .unwrap();
        let mut b = ColumnMap::default();
        b.add_toml("[columns]\nclient = \"customer_ref\"\n\"invoice_no\" = \"NUMBER\"\n")
            .unwrap();
        assert_eq!(a.canonical(), b.canonical());
        let mut c = ColumnMap::default();
        c.add_pairs("Invoice No=number,client=name").unwrap();
        assert_ne!(a.canonical(), c.canonical());
        assert_eq!(ColumnMap::default().canonical(), "");
    }
}
