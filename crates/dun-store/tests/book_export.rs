//! `dun export --all` knows every table and column of the schema: a
//! migration that adds a table or a column fails this test until the
//! export carries it (`book_export::TABLES`) or says why not
//! (`NOT_EXPORTED`, a table's `absent` secrets). The round trip through
//! files is `dun/tests/book_export.rs`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use dun_store::book_export::{Scope, NOT_EXPORTED, TABLES};

storage_test!(
    fn the_export_knows_every_table_and_column_of_the_schema(url: &str) {
        let mut store = dun_store::Store::open(url).expect("open the store");
        let mut schema: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (table, column) in store.schema_columns().unwrap() {
            schema.entry(table).or_default().insert(column);
        }
        assert!(
            schema.len() > 30,
            "the catalogue lists {} tables",
            schema.len()
        );

        let exported: BTreeSet<String> = TABLES.iter().map(|t| t.name.to_string()).collect();
        let left_out: BTreeSet<String> = NOT_EXPORTED.iter().map(|(t, _)| t.to_string()).collect();
        assert!(exported.is_disjoint(&left_out));
        let known: BTreeSet<String> = exported.union(&left_out).cloned().collect();
        let tables: BTreeSet<String> = schema.keys().cloned().collect();
        assert_eq!(
            tables.difference(&known).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "tables the export does not know: add them to book_export::TABLES (or NOT_EXPORTED, with why)"
        );
        assert_eq!(
            known.difference(&tables).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "tables the export names that the schema does not have"
        );

        for table in TABLES {
            let mut columns: BTreeSet<String> = table
                .columns
                .iter()
                .map(|c| c.name.to_string())
                .chain(table.absent.iter().map(|a| a.name.to_string()))
                .collect();
            assert_eq!(
                columns.len(),
                table.columns.len() + table.absent.len(),
                "{}: a column named twice",
                table.name
            );
            if table.scope == Scope::Org {
                assert!(columns.insert("org_id".to_string()), "{}", table.name);
            }
            assert_eq!(
                &columns, &schema[table.name],
                "{}: the export's columns (left) are not the schema's (right)",
                table.name
            );
            for key in table.order {
                assert!(
                    table.columns.iter().any(|c| c.name == *key),
                    "{}: ordered by {key}, which it does not write",
                    table.name
                );
            }
        }
    }
);
