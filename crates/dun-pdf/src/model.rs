//! What each document shows, as plain text already formatted for display.
//! The renderer makes no decision about money or dates: amounts arrive as
//! strings (`"1,250.00"`), so what the PDF says is what the caller computed.
//! [`crate::views`] builds these from the domain's types.

use serde::Serialize;

/// A seller, buyer or recipient block: a name and the lines under it
/// (street, city, country, VAT id, e-mail…), each optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PartyView {
    pub name: String,
    pub lines: Vec<String>,
}

/// One itemized line of an invoice.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct InvoiceLineView {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    /// e.g. `"20%"`.
    pub tax_rate: String,
    /// Net amount of the line (quantity × unit price).
    pub amount: String,
}

/// A label and an amount: a tax rate's total, an installment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LabelledAmount {
    pub label: String,
    pub amount: String,
}

/// An invoice (or credit note) as its PDF shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct InvoiceView {
    /// The document's title, printed large: `"Invoice"` or `"Credit note"`.
    pub title: String,
    pub number: String,
    pub issue_date: String,
    pub due_date: String,
    /// ISO 4217 code printed beside every total, e.g. `"EUR"`.
    pub currency: String,
    pub seller: PartyView,
    pub buyer: PartyView,
    /// The buyer's reference with the seller, e.g. `"C0042"`.
    pub customer_reference: Option<String>,
    /// A line under the parties, e.g. what the invoice is for.
    pub description: Option<String>,
    pub lines: Vec<InvoiceLineView>,
    pub subtotal: String,
    /// Tax per rate, e.g. `("VAT 20% on 1,000.00", "200.00")`.
    pub taxes: Vec<LabelledAmount>,
    pub total: String,
    /// Late fees and interest charged since the invoice was issued, if any.
    pub fees_and_interest: Option<String>,
    /// Paid or credited so far, when anything was.
    pub paid: Option<String>,
    /// What is still to pay.
    pub amount_due: String,
    /// An installment schedule, when the invoice has more than one due date.
    pub installments: Vec<LabelledAmount>,
    /// e.g. `"Net 30: payment is due within 30 days of the invoice date."`
    pub payment_terms: String,
    /// Late-payment penalties and interest, from the credit policy.
    pub late_payment: Option<String>,
    /// The invoice's ISO 11649 creditor reference, in groups of four.
    pub payment_reference: String,
    /// How to pay: account holder, IBAN, BIC, the reference to quote.
    pub payment_instructions: Vec<String>,
    /// The EPC QR code's payload (`dun_core::epc_qr`), drawn beside the
    /// instructions; `None` prints no code.
    pub payment_qr: Option<String>,
    /// Where the customer can see and pay what is open.
    pub portal_link: Option<String>,
    /// A credit note's invoice (its number): the document credits it, so
    /// it names that invoice where an invoice names its due date, and the
    /// amount credited where an invoice shows what is due.
    pub credits_invoice: Option<String>,
}

/// One dated line of a statement of account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatementLineView {
    pub date: String,
    pub description: String,
    /// What raised the balance (invoice, fee, interest, refund); empty if none.
    pub charge: String,
    /// What lowered it (payment, credit note, write-off); empty if none.
    pub credit: String,
    pub balance: String,
}

/// A statement of account in one currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatementView {
    pub seller: PartyView,
    pub customer: PartyView,
    pub customer_reference: Option<String>,
    /// The statement's date (the end of the period).
    pub date: String,
    /// e.g. `"2026-02-01 to 2026-02-28"`.
    pub period: String,
    /// The period's first day, as the opening balance's line dates it.
    pub period_start: String,
    pub currency: String,
    pub opening_balance: String,
    pub lines: Vec<StatementLineView>,
    pub total_charges: String,
    pub total_credits: String,
    pub closing_balance: String,
    /// What is open by age at the end of the period: `("current", …)`,
    /// `("1-30 days", …)`…, then the total.
    pub aging: Vec<LabelledAmount>,
    /// Money received and not yet applied, when there is any.
    pub unapplied_credit: Option<String>,
    /// The customer's ISO 11649 creditor reference, in groups of four.
    pub payment_reference: String,
    pub payment_instructions: Vec<String>,
    /// The EPC QR code's payload for the balance; `None` prints no code.
    pub payment_qr: Option<String>,
    pub portal_link: Option<String>,
}

/// An overdue invoice listed in a letter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LetterInvoiceView {
    pub number: String,
    pub issue_date: String,
    pub due_date: String,
    /// e.g. `"63"`.
    pub days_overdue: String,
    pub amount_open: String,
    /// The invoice's own creditor reference, in groups of four.
    pub payment_reference: String,
}

/// A dunning letter (a final demand) for a ladder's letter step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LetterView {
    /// Printed as the heading, e.g. `"Final demand"`.
    pub title: String,
    pub sender: PartyView,
    pub recipient: PartyView,
    pub date: String,
    /// Our reference, e.g. the customer's reference.
    pub reference: Option<String>,
    /// e.g. `"Overdue invoices: 2,450.00 EUR"`.
    pub subject: String,
    /// e.g. `"Dear Acme Ltd,"`.
    pub salutation: String,
    /// Paragraphs before the table of invoices.
    pub paragraphs: Vec<String>,
    pub invoices: Vec<LetterInvoiceView>,
    pub currency: String,
    pub total: String,
    /// Paragraphs after the table (deadline, consequences).
    pub closing_paragraphs: Vec<String>,
    /// e.g. `"Yours faithfully,"`.
    pub sign_off: String,
    pub signature: String,
    /// The reference to quote for the whole demand, in groups of four.
    pub payment_reference: String,
    pub payment_instructions: Vec<String>,
    pub portal_link: Option<String>,
}

/// An open invoice in a claim file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClaimInvoiceView {
    pub number: String,
    pub issue_date: String,
    pub due_date: String,
    /// e.g. `"94"`.
    pub days_past_due: String,
    pub currency: String,
    pub total: String,
    pub open: String,
}

/// One event of the customer's history in a claim file: a reminder or
/// letter sent, a call, a promise, a dispute, a payment, a status change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClaimEventView {
    pub date: String,
    /// In words, e.g. `"reminder sent"`, `"call"`.
    pub kind: String,
    pub summary: String,
    pub author: String,
}

/// A claim file: what an agency or a small-claims court asks for about
/// one debtor — who owes what, on which invoices, and every reminder,
/// letter, call, promise and dispute with its date. The statements of
/// account travel beside it in the same bundle.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClaimFileView {
    pub creditor: PartyView,
    pub debtor: PartyView,
    pub debtor_reference: String,
    pub date: String,
    /// e.g. `"With a collection agency since 2026-05-02: no reply"`.
    pub standing: String,
    /// What is claimed, per currency: label `"Open (USD)"`, amount.
    pub claimed: Vec<LabelledAmount>,
    pub invoices: Vec<ClaimInvoiceView>,
    pub history: Vec<ClaimEventView>,
    /// The other files of the bundle, by name.
    pub enclosures: Vec<String>,
}
