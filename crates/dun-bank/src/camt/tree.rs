//! A small tree of one camt entry (or of a statement's own elements), built
//! while streaming and dropped once read: the file is never held as a DOM.

/// One element: its local name, its path from the root (for refusals), its
/// attributes and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub path: String,
    pub attributes: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    pub fn new(name: &str, path: String) -> Node {
        Node {
            name: name.to_string(),
            path,
            attributes: Vec::new(),
            text: String::new(),
            children: Vec::new(),
        }
    }

    /// The first descendant at `path` (`Acct/Id/IBAN`), in document order.
    pub fn at(&self, path: &str) -> Option<&Node> {
        let (step, rest) = match path.split_once('/') {
            Some((step, rest)) => (step, Some(rest)),
            None => (path, None),
        };
        let mut children = self.children.iter().filter(|c| c.name == step);
        match rest {
            None => children.next(),
            Some(rest) => children.find_map(|c| c.at(rest)),
        }
    }

    /// Every descendant at `path`, in document order, through every
    /// repetition of each step.
    pub fn all(&self, path: &str) -> Vec<&Node> {
        let mut found = vec![self];
        for step in path.split('/') {
            found = found
                .into_iter()
                .flat_map(|n| n.children.iter().filter(|c| c.name == step))
                .collect();
        }
        found
    }

    /// The trimmed text at `path`, when there is some.
    pub fn text_at(&self, path: &str) -> Option<&str> {
        self.at(path).map(Node::trimmed).filter(|t| !t.is_empty())
    }

    pub fn trimmed(&self) -> &str {
        self.text.trim()
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Where a missing child would have been.
    pub fn place_of(&self, path: &str) -> String {
        format!("{}/{}", self.path, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(name: &str, text: &str) -> Node {
        let mut n = Node::new(name, name.into());
        n.text = text.into();
        n
    }

    #[test]
    fn paths_reach_through_repetitions() {
        let mut root = Node::new("Ntry", "Ntry".into());
        for ref_ in ["a", "b"] {
            let mut dtls = Node::new("TxDtls", "TxDtls".into());
            dtls.children.push(leaf("Ref", &format!(" {ref_} ")));
            let mut wrapper = Node::new("NtryDtls", "NtryDtls".into());
            wrapper.children.push(dtls);
            root.children.push(wrapper);
        }
        let refs: Vec<&str> = root
            .all("NtryDtls/TxDtls/Ref")
            .iter()
            .map(|n| n.trimmed())
            .collect();
        assert_eq!(refs, ["a", "b"]);
        assert_eq!(root.text_at("NtryDtls/TxDtls/Ref"), Some("a"));
        assert_eq!(root.text_at("NtryDtls/Nope"), None);
        // The first match may sit under a later repetition.
        root.children[0].children[0].children.clear();
        assert_eq!(root.text_at("NtryDtls/TxDtls/Ref"), Some("b"));
        assert_eq!(root.place_of("Amt"), "Ntry/Amt");
    }
}
