//! A camt writer for tests: one statement builder that writes camt.052,
//! camt.053 or camt.054 in any version 02–08, minding where the versions
//! differ (v02 has no `TxDtls/Amt`; v08 writes `Sts/Cd` and `Pty/Nm`).

use std::fmt::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    C052,
    C053,
    C054,
}

impl Msg {
    pub const ALL: [Msg; 3] = [Msg::C052, Msg::C053, Msg::C054];

    pub fn number(self) -> &'static str {
        match self {
            Msg::C052 => "052",
            Msg::C053 => "053",
            Msg::C054 => "054",
        }
    }

    pub fn root(self) -> &'static str {
        match self {
            Msg::C052 => "BkToCstmrAcctRpt",
            Msg::C053 => "BkToCstmrStmt",
            Msg::C054 => "BkToCstmrDbtCdtNtfctn",
        }
    }

    pub fn statement(self) -> &'static str {
        match self {
            Msg::C052 => "Rpt",
            Msg::C053 => "Stmt",
            Msg::C054 => "Ntfctn",
        }
    }

    /// camt.054 notifications carry no balances.
    pub fn has_balances(self) -> bool {
        self != Msg::C054
    }

    pub fn namespace(self, version: u32) -> String {
        format!(
            "urn:iso:std:iso:20022:tech:xsd:camt.{}.001.{version:02}",
            self.number()
        )
    }
}

#[derive(Clone, Debug, Default)]
pub struct Tx {
    /// Amount and currency of this transaction (a batch needs them).
    pub amount: Option<(&'static str, &'static str)>,
    /// `TxDtls/CdtDbtInd` (v03 and later), when it is written.
    pub credit: Option<bool>,
    pub acct_svcr_ref: Option<&'static str>,
    pub end_to_end_id: Option<&'static str>,
    pub debtor: Option<(&'static str, &'static str)>,
    pub creditor: Option<(&'static str, &'static str)>,
    pub ustrd: Vec<&'static str>,
    pub strd_ref: Option<&'static str>,
    pub return_code: Option<&'static str>,
    pub return_prtry: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub amount: &'static str,
    pub ccy: &'static str,
    pub credit: bool,
    pub status: &'static str,
    pub booked: Option<&'static str>,
    /// Write the booking date as `DtTm` with a time of day.
    pub booked_as_date_time: bool,
    pub value: Option<&'static str>,
    pub acct_svcr_ref: Option<&'static str>,
    pub reversal: bool,
    pub txs: Vec<Tx>,
}

impl Entry {
    pub fn new(amount: &'static str, credit: bool) -> Entry {
        Entry {
            amount,
            ccy: "EUR",
            credit,
            status: "BOOK",
            booked: Some("2026-03-02"),
            booked_as_date_time: false,
            value: None,
            acct_svcr_ref: None,
            reversal: false,
            txs: Vec::new(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Balance {
    pub code: &'static str,
    pub amount: &'static str,
    pub ccy: &'static str,
    pub credit: bool,
}

#[derive(Clone, Debug)]
pub struct Stmt {
    pub id: &'static str,
    pub iban: Option<&'static str>,
    pub ccy: Option<&'static str>,
    pub balances: Vec<Balance>,
    pub entries: Vec<Entry>,
}

/// A whole file.
pub fn document(msg: Msg, version: u32, statements: &[Stmt]) -> String {
    let mut x = String::new();
    let _ = write!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"{}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <{}>\n    <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-03-03T06:00:00+01:00</CreDtTm></GrpHdr>\n",
        msg.namespace(version),
        msg.root()
    );
    for s in statements {
        statement(&mut x, msg, version, s);
    }
    let _ = write!(x, "  </{}>\n</Document>\n", msg.root());
    x
}

fn statement(x: &mut String, msg: Msg, version: u32, s: &Stmt) {
    let tag = msg.statement();
    let _ = write!(x, "    <{tag}>\n      <Id>{}</Id>\n      <CreDtTm>2026-03-03T06:00:00</CreDtTm>\n      <Acct>", s.id);
    match s.iban {
        Some(iban) => {
            let _ = write!(x, "<Id><IBAN>{iban}</IBAN></Id>");
        }
        None => x.push_str("<Id><Othr><Id>12345678</Id></Othr></Id>"),
    }
    if let Some(ccy) = s.ccy {
        let _ = write!(x, "<Ccy>{ccy}</Ccy>");
    }
    x.push_str("<Svcr><FinInstnId><BIC>COBADEFFXXX</BIC></FinInstnId></Svcr></Acct>\n");
    if msg.has_balances() {
        for b in &s.balances {
            let _ = writeln!(
                x,
                "      <Bal><Tp><CdOrPrtry><Cd>{}</Cd></CdOrPrtry></Tp><Amt Ccy=\"{}\">{}</Amt><CdtDbtInd>{}</CdtDbtInd><Dt><Dt>2026-03-02</Dt></Dt></Bal>",
                b.code,
                b.ccy,
                b.amount,
                indicator(b.credit)
            );
        }
    }
    for e in &s.entries {
        entry(x, version, e);
    }
    let _ = writeln!(x, "    </{tag}>");
}

fn indicator(credit: bool) -> &'static str {
    if credit {
        "CRDT"
    } else {
        "DBIT"
    }
}

fn entry(x: &mut String, version: u32, e: &Entry) {
    let _ = write!(
        x,
        "      <Ntry>\n        <Amt Ccy=\"{}\">{}</Amt>\n        <CdtDbtInd>{}</CdtDbtInd>\n",
        e.ccy,
        e.amount,
        indicator(e.credit)
    );
    if e.reversal {
        x.push_str("        <RvslInd>true</RvslInd>\n");
    }
    if version >= 8 {
        let _ = writeln!(x, "        <Sts><Cd>{}</Cd></Sts>", e.status);
    } else {
        let _ = writeln!(x, "        <Sts>{}</Sts>", e.status);
    }
    if let Some(day) = e.booked {
        if e.booked_as_date_time {
            let _ = writeln!(
                x,
                "        <BookgDt><DtTm>{day}T09:30:00+01:00</DtTm></BookgDt>"
            );
        } else {
            let _ = writeln!(x, "        <BookgDt><Dt>{day}</Dt></BookgDt>");
        }
    }
    if let Some(day) = e.value {
        let _ = writeln!(x, "        <ValDt><Dt>{day}</Dt></ValDt>");
    }
    if let Some(r) = e.acct_svcr_ref {
        let _ = writeln!(x, "        <AcctSvcrRef>{r}</AcctSvcrRef>");
    }
    x.push_str("        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>\n");
    if !e.txs.is_empty() {
        x.push_str("        <NtryDtls>\n");
        if e.txs.len() > 1 {
            let _ = writeln!(
                x,
                "          <Btch><NbOfTxs>{}</NbOfTxs></Btch>",
                e.txs.len()
            );
        }
        for t in &e.txs {
            tx(x, version, t);
        }
        x.push_str("        </NtryDtls>\n");
    }
    x.push_str("        <AddtlNtryInf>SEPA-GUTSCHRIFT</AddtlNtryInf>\n      </Ntry>\n");
}

fn tx(x: &mut String, version: u32, t: &Tx) {
    x.push_str("          <TxDtls>\n            <Refs>");
    if let Some(r) = t.acct_svcr_ref {
        let _ = write!(x, "<AcctSvcrRef>{r}</AcctSvcrRef>");
    }
    if let Some(r) = t.end_to_end_id {
        let _ = write!(x, "<EndToEndId>{r}</EndToEndId>");
    }
    x.push_str("</Refs>\n");
    if let Some((amount, ccy)) = t.amount {
        if version >= 3 {
            let _ = writeln!(x, "            <Amt Ccy=\"{ccy}\">{amount}</Amt>");
            if let Some(credit) = t.credit {
                let _ = writeln!(
                    x,
                    "            <CdtDbtInd>{}</CdtDbtInd>",
                    indicator(credit)
                );
            }
        }
        let _ = writeln!(
            x,
            "            <AmtDtls><TxAmt><Amt Ccy=\"{ccy}\">{amount}</Amt></TxAmt></AmtDtls>"
        );
    }
    if t.debtor.is_some() || t.creditor.is_some() {
        x.push_str("            <RltdPties>");
        for (role, party) in [("Dbtr", t.debtor), ("Cdtr", t.creditor)] {
            if let Some((name, iban)) = party {
                if version >= 8 {
                    let _ = write!(x, "<{role}><Pty><Nm>{name}</Nm></Pty></{role}>");
                } else {
                    let _ = write!(x, "<{role}><Nm>{name}</Nm></{role}>");
                }
                let _ = write!(x, "<{role}Acct><Id><IBAN>{iban}</IBAN></Id></{role}Acct>");
            }
        }
        x.push_str("</RltdPties>\n");
    }
    if !t.ustrd.is_empty() || t.strd_ref.is_some() {
        x.push_str("            <RmtInf>");
        for u in &t.ustrd {
            let _ = write!(x, "<Ustrd>{u}</Ustrd>");
        }
        if let Some(r) = t.strd_ref {
            let _ = write!(
                x,
                "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{r}</Ref></CdtrRefInf></Strd>"
            );
        }
        x.push_str("</RmtInf>\n");
    }
    if let Some(code) = t.return_code {
        let _ = writeln!(x, "            <RtrInf><Rsn><Cd>{code}</Cd></Rsn></RtrInf>");
    }
    if let Some(code) = t.return_prtry {
        let _ = writeln!(
            x,
            "            <RtrInf><Rsn><Prtry>{code}</Prtry></Rsn></RtrInf>"
        );
    }
    x.push_str("          </TxDtls>\n");
}
