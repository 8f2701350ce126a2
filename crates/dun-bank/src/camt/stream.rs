//! Streams a camt document: keeps the path of open elements for refusals,
//! builds a small [`Node`] tree only inside a statement, and hands over
//! each entry (`Ntry`) as soon as it closes, so memory holds one entry.

use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use std::fmt::Write;

use super::tree::Node;
use crate::ParseError;

/// What the stream found, in document order.
pub enum Found<'a> {
    /// The root element: its name and the namespace its prefix is bound to.
    Root {
        name: &'a str,
        namespace: Option<&'a str>,
    },
    /// The message element under the root (`BkToCstmrStmt`…); the handler
    /// answers with the name of the statement elements under it.
    Message { name: &'a str, path: &'a str },
    /// A closed entry, with its statement's own elements read so far
    /// (entries follow the account and balances).
    Entry { statement: &'a Node, entry: Node },
    /// A closed statement, without its entries.
    Statement { statement: Node },
}

/// Elements that repeat, and so carry their index in a path.
const REPEATED: [&str; 9] = [
    "Stmt", "Rpt", "Ntfctn", "Bal", "Ntry", "NtryDtls", "TxDtls", "Ustrd", "Strd",
];

/// The open elements' path as one string (`Document/BkToCstmrStmt/Stmt[1]`),
/// and for each open element where its name starts in it and how many
/// children of each repeated name it has had.
#[derive(Default)]
struct Open {
    path: String,
    frames: Vec<Frame>,
}

struct Frame {
    start: usize,
    seen: Vec<(&'static str, usize)>,
}

impl Open {
    fn depth(&self) -> usize {
        self.frames.len()
    }

    /// Opens a child of the innermost element.
    fn push(&mut self, name: &str) {
        let start = self.path.len();
        if let Some(parent) = self.frames.last_mut() {
            self.path.push('/');
            self.path.push_str(name);
            if let Some(repeated) = REPEATED.iter().find(|r| **r == name) {
                let index = match parent.seen.iter_mut().find(|(n, _)| n == repeated) {
                    Some((_, count)) => {
                        *count += 1;
                        *count
                    }
                    None => {
                        parent.seen.push((repeated, 1));
                        1
                    }
                };
                let _ = write!(self.path, "[{index}]");
            }
        } else {
            self.path.push_str(name);
        }
        self.frames.push(Frame {
            start,
            seen: Vec::new(),
        });
    }

    fn pop(&mut self) {
        if let Some(frame) = self.frames.pop() {
            self.path.truncate(frame.start);
        }
    }

    /// The innermost open element's name, without its index.
    fn name(&self) -> &str {
        let last = self.path.rsplit('/').next().unwrap_or("");
        last.split('[').next().unwrap_or(last)
    }

    fn place(&self) -> &str {
        if self.frames.is_empty() {
            "file"
        } else {
            &self.path
        }
    }
}

/// Reads `text`, calling `on` for each thing found. `on` returns, for a
/// [`Found::Message`], the statement element's name (`Stmt`…).
pub fn read(
    text: &str,
    mut on: impl FnMut(Found<'_>) -> Result<Option<&'static str>, ParseError>,
) -> Result<(), ParseError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    let mut open = Open::default();
    // The statement being read (index 0) and its open descendants.
    let mut nodes: Vec<Node> = Vec::new();
    let mut statement_tag: Option<&'static str> = None;
    let mut had_root = false;
    loop {
        let event = reader.read_event().map_err(|e| {
            let at = reader.error_position() as usize;
            malformed(text, &open, at, &e.to_string())
        })?;
        match event {
            Event::Start(start) => {
                let local = start.local_name();
                let name = local.as_ref();
                let depth = open.depth();
                open.push(name);
                match depth {
                    0 if had_root => {
                        let at = reader.buffer_position() as usize;
                        return Err(malformed(text, &open, at, "a second root element"));
                    }
                    0 => {
                        had_root = true;
                        let namespace = namespace_of(&start);
                        on(Found::Root {
                            name,
                            namespace: namespace.as_deref(),
                        })?;
                    }
                    1 => {
                        statement_tag = on(Found::Message {
                            name,
                            path: &open.path,
                        })?
                    }
                    2 if Some(name) == statement_tag => nodes.push(node(&start, name, &open.path)?),
                    _ if !nodes.is_empty() => nodes.push(node(&start, name, &open.path)?),
                    _ => {}
                }
            }
            Event::End(_) => {
                open.pop();
                let Some(done) = nodes.pop() else { continue };
                let in_statement = nodes.len() == 1;
                match nodes.last_mut() {
                    None => on(Found::Statement { statement: done }).map(drop)?,
                    Some(statement) if in_statement && done.name == "Ntry" => on(Found::Entry {
                        statement,
                        entry: done,
                    })
                    .map(drop)?,
                    Some(parent) => parent.children.push(done),
                }
            }
            Event::Text(t) => append(&mut nodes, &t.xml10_content()),
            Event::CData(t) => append(&mut nodes, &t.xml10_content()),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => match resolve_xml_entity(&r) {
                        Some(s) => s.to_string(),
                        None => {
                            let at = reader.buffer_position() as usize;
                            let reason = format!("unknown entity &{};", &*r);
                            return Err(malformed(text, &open, at, &reason));
                        }
                    },
                };
                append(&mut nodes, &resolved);
            }
            Event::Eof => {
                if open.depth() > 0 {
                    return Err(ParseError::new(
                        open.place(),
                        "",
                        format!(
                            "the file ends before </{}> closes: it is cut short; a camt file must be whole, well-formed XML",
                            open.name()
                        ),
                    ));
                }
                if !had_root {
                    return Err(ParseError::new(
                        "file",
                        "",
                        "no XML element; a camt file has a Document element",
                    ));
                }
                return Ok(());
            }
            Event::Empty(_)
            | Event::Comment(_)
            | Event::Decl(_)
            | Event::PI(_)
            | Event::DocType(_) => {}
        }
    }
}

fn node(start: &BytesStart<'_>, name: &str, path: &str) -> Result<Node, ParseError> {
    let mut node = Node::new(name, path.to_string());
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| {
            ParseError::new(
                node.path.clone(),
                "",
                format!("a malformed attribute ({e}); a camt file must be well-formed XML"),
            )
        })?;
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| {
                ParseError::new(
                    format!("{}/@{}", node.path, attribute.key.local_name().as_ref()),
                    attribute.value.to_string(),
                    format!("{e}; a camt file must be well-formed XML"),
                )
            })?;
        let key = attribute.key.local_name().as_ref().to_string();
        node.attributes.push((key, value.into_owned()));
    }
    Ok(node)
}

/// Text goes to the innermost node, but never to the statement itself:
/// its only text is the layout between its children, which would grow
/// with every entry.
fn append(nodes: &mut [Node], text: &str) {
    if let [_, .., node] = nodes {
        node.text.push_str(text);
    }
}

/// The namespace bound to the root element's prefix (or the default one).
fn namespace_of(start: &BytesStart<'_>) -> Option<String> {
    let qname = start.name();
    let binding = match qname.prefix() {
        Some(prefix) => format!("xmlns:{}", prefix.as_ref()),
        None => "xmlns".to_string(),
    };
    start
        .attributes()
        .flatten()
        .find(|a| a.key.0 == binding)
        .and_then(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.trim().to_string())
        })
}

/// A refusal of XML that is not well-formed, at byte `at`.
fn malformed(text: &str, open: &Open, at: usize, what: &str) -> ParseError {
    let at = at.min(text.len());
    let line = text.as_bytes()[..at]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1;
    let element = open.place();
    let mut end = (at + 40).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut start = at;
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    ParseError::new(
        format!("{element} (line {line}, byte {at})"),
        &text[start..end],
        format!("{what}; a camt file must be well-formed XML"),
    )
}
