//! A value of a hand-written file with the byte range it was read from.
//!
//! A newtype of `serde_spanned::Spanned`, read the same way, so that the types of `files`
//! can also describe themselves as a JSON Schema (in the unit test that derives the
//! committed schemas): the schema of a `Spanned<T>` is `T`'s, as the span is where a value
//! was written, not part of it.

use std::borrow::Borrow;
use std::ops::Range;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(transparent)]
pub struct Spanned<T>(serde_spanned::Spanned<T>);

impl<T> Spanned<T> {
    pub fn new(span: Range<usize>, value: T) -> Spanned<T> {
        Spanned(serde_spanned::Spanned::new(span, value))
    }

    /// The byte range of the value in its file.
    pub fn span(&self) -> Range<usize> {
        self.0.span()
    }

    pub fn get_ref(&self) -> &T {
        self.0.get_ref()
    }

    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T> AsRef<T> for Spanned<T> {
    fn as_ref(&self) -> &T {
        self.0.get_ref()
    }
}

/// A table keyed by spanned names is looked up by name.
impl Borrow<str> for Spanned<String> {
    fn borrow(&self) -> &str {
        self.0.get_ref()
    }
}

#[cfg(test)]
impl<T: schemars::JsonSchema> schemars::JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// A table of a hand-written file whose keys are names: its entries in key order.
///
/// Read into a list rather than a map. The TOML reader has already refused a key written
/// twice, and an environment's thousands of services and their variables would each cost
/// a map insertion, then an iteration that takes the map apart again, when every reader
/// walks them once in order.
#[derive(Debug)]
pub struct Entries<V>(Vec<(Spanned<String>, V)>);

impl<V> Entries<V> {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn keys(&self) -> impl Iterator<Item = &Spanned<String>> {
        self.0.iter().map(|(key, _)| key)
    }
}

/// Entries in any order, put in key order. The TOML reader hands a table over in key order
/// unless its `preserve_order` feature is on, which any crate built beside this one can
/// turn on; sorting what is sorted already is one comparison per entry.
impl<V> From<Vec<(Spanned<String>, V)>> for Entries<V> {
    fn from(mut entries: Vec<(Spanned<String>, V)>) -> Self {
        entries.sort_by(|(a, _), (b, _)| a.get_ref().cmp(b.get_ref()));
        Entries(entries)
    }
}

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<V> IntoIterator for Entries<V> {
    type Item = (Spanned<String>, V);
    type IntoIter = std::vec::IntoIter<(Spanned<String>, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<V>(std::marker::PhantomData<V>);

        impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Visitor<V> {
            type Value = Entries<V>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries::from(entries))
            }
        }

        deserializer.deserialize_map(Visitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
impl<V: schemars::JsonSchema> schemars::JsonSchema for Entries<V> {
    fn inline_schema() -> bool {
        <std::collections::BTreeMap<String, V>>::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        <std::collections::BTreeMap<String, V>>::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        <std::collections::BTreeMap<String, V>>::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <std::collections::BTreeMap<String, V>>::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct File {
        services: Entries<Spanned<u32>>,
    }

    #[test]
    fn a_table_is_read_in_key_order_with_its_spans() {
        let text = "[services]\nb = 2\n\"a\" = 1\nc = 3\n";
        let file: File = toml::from_str(text).unwrap();
        let read: Vec<(&str, &str, u32)> = file
            .services
            .0
            .iter()
            .map(|(key, value)| (key.get_ref().as_str(), &text[key.span()], *value.get_ref()))
            .collect();
        assert_eq!(read, [("a", "\"a\"", 1), ("b", "b", 2), ("c", "c", 3)]);
    }

    #[test]
    fn entries_handed_over_in_another_order_are_put_in_key_order() {
        let entries: Entries<u32> = Entries::from(vec![
            (Spanned::new(0..1, "web".to_owned()), 1),
            (Spanned::new(2..3, "api".to_owned()), 2),
            (Spanned::new(4..5, "mailer".to_owned()), 3),
        ]);
        let keys: Vec<&str> = entries.keys().map(|key| key.get_ref().as_str()).collect();
        assert_eq!(keys, ["api", "mailer", "web"]);
        assert_eq!(
            entries
                .into_iter()
                .map(|(_, value)| value)
                .collect::<Vec<_>>(),
            [2, 3, 1]
        );
    }

    #[test]
    fn a_key_written_twice_is_refused_by_the_reader() {
        let err = toml::from_str::<File>("[services]\na = 1\n\"a\" = 2\n").unwrap_err();
        assert!(err.to_string().contains("duplicate key"), "{err}");
    }
}
