//! The documents' fixed words, one table per document locale, and how each
//! locale writes a date and a number. Amounts stay integers of minor units
//! until [`Words::amount`] phrases them; nothing here rounds.
//!
//! A template's `{name}` is filled by [`fill`]. English is the documents'
//! wording from before there were locales, word for word.

use dun_core::collections::law::{Law, RateSeries};
use dun_core::document::DocumentLocale;
use dun_core::money::{format_minor, UnitPrice};
use dun_core::{Currency, Date};

/// Every fixed word and sentence a document prints, in one language.
pub struct Words {
    pub locale: DocumentLocale,
    /// Between the thousands of a number, and before its decimals.
    pub thousands: &'static str,
    pub decimal: &'static str,
    /// Between a number and `%`: `"20%"`, `"20 %"`.
    pub percent_space: &'static str,
    /// After a label: `": "`; French puts a space before the colon.
    pub colon: &'static str,

    // The invoice and the credit note.
    pub invoice: &'static str,
    pub invoice_void: &'static str,
    pub credit_note: &'static str,
    pub continued: &'static str,
    pub number: &'static str,
    pub issue_date: &'static str,
    pub due_date: &'static str,
    pub credits_invoice: &'static str,
    pub customer: &'static str,
    pub bill_to: &'static str,
    /// `{currency}`
    pub credited: &'static str,
    /// `{invoice}`
    pub against_invoice: &'static str,
    /// `{currency}`
    pub amount_due: &'static str,
    /// `{date}`
    pub due_on: &'static str,
    pub line_labels: [&'static str; 5],
    pub subtotal: &'static str,
    /// `{currency}`
    pub total: &'static str,
    pub fees_and_interest: &'static str,
    pub paid_and_credited: &'static str,
    pub installments: &'static str,
    pub about_credit_note: &'static str,
    pub payment_terms: &'static str,
    pub late_payment: &'static str,
    pub how_to_pay: &'static str,
    pub pay_online: &'static str,
    pub qr_caption: &'static str,
    pub payment_reference: &'static str,
    /// `{page}`, `{pages}`
    pub page_of: &'static str,
    /// `{rate}`, `{net}`
    pub tax_on: &'static str,
    pub vat_id: &'static str,
    pub company_no: &'static str,
    pub account_holder: &'static str,
    /// `{invoice}`
    pub credit_against: &'static str,
    /// `{invoice}`, `{amount}`
    pub credit_note_terms: &'static str,

    // Payment terms: `{date}`, `{days}`, `{count}`, `{list}`.
    pub due_on_receipt: &'static str,
    pub net_terms: &'static str,
    pub end_of_month_terms: &'static str,
    pub installment_terms: &'static str,

    // The statement of account.
    pub statement_of_account: &'static str,
    pub statement: &'static str,
    pub date: &'static str,
    pub period: &'static str,
    pub currency: &'static str,
    pub statement_for: &'static str,
    /// `{currency}`
    pub balance: &'static str,
    /// `{date}`
    pub as_of: &'static str,
    pub opening_balance: &'static str,
    pub charges: &'static str,
    pub payments_and_credits: &'static str,
    pub closing_balance: &'static str,
    pub statement_labels: [&'static str; 5],
    /// `{currency}`
    pub open_by_age: &'static str,
    /// `{amount}`
    pub unapplied: &'static str,
    /// `{from}`, `{to}`
    pub period_from_to: &'static str,
    pub not_yet_due: &'static str,
    /// `{range}`, e.g. `1-30`
    pub days_bucket: &'static str,
    pub total_open: &'static str,

    // The final demand (and a letter step's reminder).
    pub final_demand: &'static str,
    pub payment_reminder: &'static str,
    pub our_reference: &'static str,
    pub to: &'static str,
    pub letter_labels: [&'static str; 5],
    /// `{currency}`
    pub total_now_due: &'static str,
    pub yours_faithfully: &'static str,
    /// `{name}`
    pub dear: &'static str,
    /// `{name}`
    pub accounts_receivable: &'static str,
}

/// English: the wording the documents had before there were locales.
pub static EN: Words = Words {
    locale: DocumentLocale::En,
    thousands: ",",
    decimal: ".",
    percent_space: "",
    colon: ": ",
    invoice: "Invoice",
    invoice_void: "Invoice (void)",
    credit_note: "Credit note",
    continued: "(continued)",
    number: "Number",
    issue_date: "Issue date",
    due_date: "Due date",
    credits_invoice: "Credits invoice",
    customer: "Customer",
    bill_to: "Bill to",
    credited: "Credited ({currency})",
    against_invoice: "Against invoice {invoice}",
    amount_due: "Amount due ({currency})",
    due_on: "Due {date}",
    line_labels: ["Description", "Qty", "Unit price", "Tax", "Amount"],
    subtotal: "Subtotal",
    total: "Total ({currency})",
    fees_and_interest: "Late fees and interest",
    paid_and_credited: "Paid and credited",
    installments: "Installments",
    about_credit_note: "About this credit note",
    payment_terms: "Payment terms",
    late_payment: "Late payment",
    how_to_pay: "How to pay",
    pay_online: "See what is open and pay online:",
    qr_caption: "Scan with your banking app",
    payment_reference: "Payment reference",
    page_of: "Page {page} of {pages}",
    tax_on: "Tax {rate} on {net}",
    vat_id: "VAT ID",
    company_no: "Company no.",
    account_holder: "Account holder",
    credit_against: "Credit against invoice {invoice}",
    credit_note_terms: "This credit note reduces what is owed on invoice {invoice} by {amount}. Nothing is to be paid on it.",
    due_on_receipt: "Due on receipt ({date}).",
    net_terms: "Net {days}: payment is due within {days} days of the invoice date, by {date}.",
    end_of_month_terms: "Payment is due {days} days after the end of the month of the invoice, by {date}.",
    installment_terms: "Payable in {count} installments, {list} days after the invoice date; the last falls due on {date}.",
    statement_of_account: "Statement of account",
    statement: "Statement",
    date: "Date",
    period: "Period",
    currency: "Currency",
    statement_for: "Statement for",
    balance: "Balance ({currency})",
    as_of: "as of {date}",
    opening_balance: "Opening balance",
    charges: "Charges",
    payments_and_credits: "Payments and credits",
    closing_balance: "Closing balance",
    statement_labels: ["Date", "Description", "Charges", "Credits", "Balance"],
    open_by_age: "What is open, by days past due ({currency})",
    unapplied: "Payments received and not yet applied to an invoice: {amount}. The balance above is net of them.",
    period_from_to: "{from} to {to}",
    not_yet_due: "Not yet due",
    days_bucket: "{range} days",
    total_open: "Total open",
    final_demand: "Final demand",
    payment_reminder: "Payment reminder",
    our_reference: "Our reference",
    to: "To",
    letter_labels: [
        "Invoice / payment reference",
        "Issued",
        "Due",
        "Days overdue",
        "Amount open",
    ],
    total_now_due: "Total now due ({currency})",
    yours_faithfully: "Yours faithfully,",
    dear: "Dear {name},",
    accounts_receivable: "Accounts receivable, {name}",
};

/// German.
pub static DE: Words = Words {
    locale: DocumentLocale::De,
    thousands: ".",
    decimal: ",",
    percent_space: "\u{a0}",
    colon: ": ",
    invoice: "Rechnung",
    invoice_void: "Rechnung (storniert)",
    credit_note: "Gutschrift",
    continued: "(Fortsetzung)",
    number: "Nummer",
    issue_date: "Rechnungsdatum",
    due_date: "Fälligkeitsdatum",
    credits_invoice: "Zur Rechnung",
    customer: "Kunde",
    bill_to: "Rechnungsempfänger",
    credited: "Gutgeschrieben ({currency})",
    against_invoice: "Zur Rechnung {invoice}",
    amount_due: "Zahlbetrag ({currency})",
    due_on: "Fällig am {date}",
    line_labels: ["Beschreibung", "Menge", "Einzelpreis", "USt.", "Betrag"],
    subtotal: "Zwischensumme",
    total: "Gesamtbetrag ({currency})",
    fees_and_interest: "Mahngebühren und Zinsen",
    paid_and_credited: "Bezahlt und gutgeschrieben",
    installments: "Raten",
    about_credit_note: "Zu dieser Gutschrift",
    payment_terms: "Zahlungsbedingungen",
    late_payment: "Zahlungsverzug",
    how_to_pay: "Zahlungsweise",
    pay_online: "Offene Posten ansehen und online bezahlen:",
    qr_caption: "Mit der Banking-App scannen",
    payment_reference: "Verwendungszweck",
    page_of: "Seite {page} von {pages}",
    tax_on: "USt. {rate} auf {net}",
    vat_id: "USt-IdNr.",
    company_no: "Handelsregister-Nr.",
    account_holder: "Kontoinhaber",
    credit_against: "Gutschrift zur Rechnung {invoice}",
    credit_note_terms: "Diese Gutschrift mindert den offenen Betrag der Rechnung {invoice} um {amount}. Sie ist nicht zu bezahlen.",
    due_on_receipt: "Zahlbar sofort nach Erhalt ({date}).",
    net_terms: "Zahlbar innerhalb von {days} Tagen ab Rechnungsdatum, bis zum {date}.",
    end_of_month_terms: "Zahlbar {days} Tage nach Ende des Rechnungsmonats, bis zum {date}.",
    installment_terms: "Zahlbar in {count} Raten, {list} Tage nach Rechnungsdatum; die letzte ist am {date} fällig.",
    statement_of_account: "Kontoauszug",
    statement: "Kontoauszug",
    date: "Datum",
    period: "Zeitraum",
    currency: "Währung",
    statement_for: "Kontoauszug für",
    balance: "Saldo ({currency})",
    as_of: "Stand {date}",
    opening_balance: "Anfangssaldo",
    charges: "Belastungen",
    payments_and_credits: "Zahlungen und Gutschriften",
    closing_balance: "Endsaldo",
    statement_labels: ["Datum", "Beschreibung", "Belastungen", "Gutschriften", "Saldo"],
    open_by_age: "Offene Posten nach Tagen überfällig ({currency})",
    unapplied: "Eingegangene, noch keiner Rechnung zugeordnete Zahlungen: {amount}. Der Saldo oben ist bereits um sie gemindert.",
    period_from_to: "{from} bis {to}",
    not_yet_due: "Noch nicht fällig",
    days_bucket: "{range} Tage",
    total_open: "Offen gesamt",
    final_demand: "Letzte Mahnung",
    payment_reminder: "Zahlungserinnerung",
    our_reference: "Unser Zeichen",
    to: "An",
    letter_labels: [
        "Rechnung / Verwendungszweck",
        "Datum",
        "Fällig",
        "Tage überfällig",
        "Offen",
    ],
    total_now_due: "Jetzt fällig gesamt ({currency})",
    yours_faithfully: "Mit freundlichen Grüßen",
    dear: "Sehr geehrte Damen und Herren der {name},",
    accounts_receivable: "Debitorenbuchhaltung, {name}",
};

/// French.
pub static FR: Words = Words {
    locale: DocumentLocale::Fr,
    thousands: "\u{a0}",
    decimal: ",",
    percent_space: "\u{a0}",
    colon: "\u{a0}: ",
    invoice: "Facture",
    invoice_void: "Facture (annulée)",
    credit_note: "Avoir",
    continued: "(suite)",
    number: "Numéro",
    issue_date: "Date d'émission",
    due_date: "Date d'échéance",
    credits_invoice: "Avoir sur facture",
    customer: "Client",
    bill_to: "Facturé à",
    credited: "Montant crédité ({currency})",
    against_invoice: "Sur la facture {invoice}",
    amount_due: "Montant dû ({currency})",
    due_on: "Échéance le {date}",
    line_labels: ["Désignation", "Qté", "Prix unitaire", "TVA", "Montant"],
    subtotal: "Total HT",
    total: "Total TTC ({currency})",
    fees_and_interest: "Pénalités et intérêts de retard",
    paid_and_credited: "Payé et crédité",
    installments: "Échéancier",
    about_credit_note: "À propos de cet avoir",
    payment_terms: "Conditions de paiement",
    late_payment: "Retard de paiement",
    how_to_pay: "Comment payer",
    pay_online: "Consultez ce qui reste dû et payez en ligne :",
    qr_caption: "Scannez avec votre application bancaire",
    payment_reference: "Référence de paiement",
    page_of: "Page {page} sur {pages}",
    tax_on: "TVA {rate} sur {net}",
    vat_id: "N° TVA",
    company_no: "SIREN",
    account_holder: "Titulaire du compte",
    credit_against: "Avoir sur la facture {invoice}",
    credit_note_terms: "Cet avoir réduit le montant dû sur la facture {invoice} de {amount}. Il n'y a rien à payer.",
    due_on_receipt: "Payable à réception ({date}).",
    net_terms: "Payable à {days} jours à compter de la date de facture, soit le {date}.",
    end_of_month_terms: "Payable à {days} jours fin de mois, soit le {date}.",
    installment_terms: "Payable en {count} échéances, à {list} jours de la date de facture ; la dernière échoit le {date}.",
    statement_of_account: "Relevé de compte",
    statement: "Relevé",
    date: "Date",
    period: "Période",
    currency: "Devise",
    statement_for: "Relevé pour",
    balance: "Solde ({currency})",
    as_of: "au {date}",
    opening_balance: "Solde d'ouverture",
    charges: "Débits",
    payments_and_credits: "Paiements et avoirs",
    closing_balance: "Solde de clôture",
    statement_labels: ["Date", "Libellé", "Débits", "Crédits", "Solde"],
    open_by_age: "Ce qui reste dû, par jours de retard ({currency})",
    unapplied: "Paiements reçus non encore affectés à une facture : {amount}. Le solde ci-dessus en tient compte.",
    period_from_to: "du {from} au {to}",
    not_yet_due: "Non échu",
    days_bucket: "{range} jours",
    total_open: "Total dû",
    final_demand: "Mise en demeure",
    payment_reminder: "Rappel de paiement",
    our_reference: "Notre référence",
    to: "À",
    letter_labels: [
        "Facture / référence de paiement",
        "Émise le",
        "Échéance",
        "Jours de retard",
        "Montant dû",
    ],
    total_now_due: "Total exigible ({currency})",
    yours_faithfully: "Veuillez agréer nos salutations distinguées.",
    dear: "Madame, Monsieur,",
    accounts_receivable: "Service comptabilité clients, {name}",
};

/// The table of `locale`.
pub fn words(locale: DocumentLocale) -> &'static Words {
    match locale {
        DocumentLocale::En => &EN,
        DocumentLocale::De => &DE,
        DocumentLocale::Fr => &FR,
    }
}

/// `template` with each `{name}` replaced by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

impl Words {
    /// A date as the locale writes it: en `2026-12-31`, de `31.12.2026`,
    /// fr `31/12/2026`.
    pub fn date(&self, date: Date) -> String {
        let (y, m, d) = date.ymd();
        match self.locale {
            DocumentLocale::En => date.to_string(),
            DocumentLocale::De => format!("{d:02}.{m:02}.{y:04}"),
            DocumentLocale::Fr => format!("{d:02}/{m:02}/{y:04}"),
        }
    }

    /// Number formatting: a plain decimal (`-1234567.50`, as
    /// `dun_core::money` writes one) with the locale's thousands separator
    /// and decimal mark: en `-1,234,567.50`, de `-1.234.567,50`, fr
    /// `-1 234 567,50` (a no-break space).
    pub fn number(&self, plain: &str) -> String {
        let (sign, digits) = match plain.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", plain),
        };
        let (whole, frac) = match digits.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (digits, None),
        };
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3 * 2);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push_str(self.thousands);
            }
            grouped.push(c);
        }
        match frac {
            Some(f) => format!("{sign}{grouped}{}{f}", self.decimal),
            None => format!("{sign}{grouped}"),
        }
    }

    /// An amount of minor units, phrased: `123456` EUR → `1,234.56`.
    pub fn amount(&self, amount_minor: i64, currency: Currency) -> String {
        self.number(&format_minor(amount_minor, currency))
    }

    /// An amount with its currency code: `1.234,56 EUR`.
    pub fn money(&self, amount_minor: i64, currency: Currency) -> String {
        format!("{} {currency}", self.amount(amount_minor, currency))
    }

    /// A unit price with the decimals it has, at least the currency's.
    pub fn unit_price(&self, price: UnitPrice, currency: Currency) -> String {
        self.number(&price.format(currency))
    }

    /// A plain decimal with the locale's decimal mark and no grouping
    /// (a quantity, a rate): `1.5` → `1,5`.
    pub fn decimal(&self, plain: &str) -> String {
        plain.replace('.', self.decimal)
    }

    /// A percentage: `20` → en `20%`, de and fr `20 %`.
    pub fn percent(&self, plain: &str) -> String {
        format!("{}{}%", self.decimal(plain), self.percent_space)
    }

    /// A day and what was sent then, joined in a list: `a, b and c`.
    pub fn list(&self, items: &[String]) -> String {
        let and = match self.locale {
            DocumentLocale::En => "and",
            DocumentLocale::De => "und",
            DocumentLocale::Fr => "et",
        };
        match items.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} {and} {last}", rest.join(", ")),
            _ => items.join(""),
        }
    }
}

/// A reference rate as the locale names it.
pub fn series_title(series: RateSeries, locale: DocumentLocale) -> &'static str {
    match (locale, series) {
        (DocumentLocale::En, s) => s.title(),
        (DocumentLocale::De, RateSeries::EcbMro) => "Hauptrefinanzierungssatz der EZB",
        (DocumentLocale::De, RateSeries::DeBase) => "Basiszinssatz (§ 247 BGB)",
        (DocumentLocale::De, RateSeries::BoeBase) => "Leitzins der Bank of England",
        (DocumentLocale::Fr, RateSeries::EcbMro) => {
            "taux d'intérêt appliqué par la BCE à son opération de refinancement la plus récente"
        }
        (DocumentLocale::Fr, RateSeries::DeBase) => "taux de base de la Bundesbank (§ 247 BGB)",
        (DocumentLocale::Fr, RateSeries::BoeBase) => "taux de base de la Banque d'Angleterre",
    }
}

/// A late-payment law as the locale names it, after "under" / "nach" /
/// "en application de".
pub fn law_title(law: Law, locale: DocumentLocale) -> &'static str {
    match (locale, law) {
        (DocumentLocale::En, l) => l.title(),
        (DocumentLocale::De, Law::None) => "keiner gesetzlichen Vorgabe",
        (DocumentLocale::De, Law::Eu2011_7) => "der EU-Zahlungsverzugsrichtlinie 2011/7/EU",
        (DocumentLocale::De, Law::DeBgb288) => "§ 288 BGB",
        (DocumentLocale::De, Law::FrL441_10) => "Art. L441-10 des französischen Code de commerce",
        (DocumentLocale::De, Law::UkLatePayment1998) => {
            "dem britischen Late Payment of Commercial Debts (Interest) Act 1998"
        }
        (DocumentLocale::Fr, Law::None) => "aucune disposition légale",
        (DocumentLocale::Fr, Law::Eu2011_7) => "la directive 2011/7/UE",
        (DocumentLocale::Fr, Law::DeBgb288) => "l'article 288 du code civil allemand (BGB)",
        (DocumentLocale::Fr, Law::FrL441_10) => "l'article L441-10 du Code de commerce",
        (DocumentLocale::Fr, Law::UkLatePayment1998) => {
            "la loi britannique Late Payment of Commercial Debts (Interest) Act 1998"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_locale_writes_dates_and_amounts_its_way() {
        let eur = Currency::parse("EUR").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        let day = Date::parse("2026-12-31").unwrap();
        assert_eq!(EN.date(day), "2026-12-31");
        assert_eq!(DE.date(day), "31.12.2026");
        assert_eq!(FR.date(day), "31/12/2026");
        assert_eq!(EN.money(123_456, eur), "1,234.56 EUR");
        assert_eq!(DE.money(123_456, eur), "1.234,56 EUR");
        assert_eq!(FR.money(123_456, eur), "1\u{a0}234,56 EUR");
        assert_eq!(DE.amount(-100_000_000, eur), "-1.000.000,00");
        assert_eq!(DE.amount(1_000, jpy), "1.000");
        assert_eq!(DE.amount(5, eur), "0,05");
        assert_eq!(EN.percent("20"), "20%");
        assert_eq!(DE.percent("7.5"), "7,5\u{a0}%");
    }

    #[test]
    fn templates_are_filled_by_name() {
        assert_eq!(
            fill(DE.page_of, &[("page", "1"), ("pages", "3")]),
            "Seite 1 von 3"
        );
    }
}
