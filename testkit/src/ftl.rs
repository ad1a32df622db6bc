//! The locale files read with Fluent's own parser (`fluent-syntax`, the one fluent-templates
//! uses): the messages of each locale folder, from every `.ftl` file in it, and the variables
//! each message references, for the parity check between languages.

use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One message of a locale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The file that defines it, relative to the locale folder (`main.ftl`).
    pub file: String,
    /// Variables it references, in its value, attributes, selectors and variants.
    pub vars: BTreeSet<String>,
}

/// Every message of one locale folder (`locales/en`).
#[derive(Clone, Debug, Default)]
pub struct Locale {
    pub messages: BTreeMap<String, Message>,
}

impl Locale {
    /// Reads every `.ftl` file of `dir`. A parse error, a term, junk, or a message defined twice
    /// (in one file or across files: fluent-templates would keep only one) is an error.
    pub fn load(dir: &Path) -> Result<Locale, String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "ftl"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(format!("{}: no .ftl file", dir.display()));
        }
        let mut locale = Locale::default();
        for path in files {
            let src = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            for (id, vars) in parse(&src).map_err(|e| format!("{}: {e}", path.display()))? {
                if let Some(first) = locale.messages.get(&id) {
                    return Err(format!("{}: message {id} is already defined in {}", path.display(), first.file));
                }
                locale.messages.insert(id, Message { file: file.clone(), vars });
            }
        }
        Ok(locale)
    }
}

/// The messages of one `.ftl` source: id → variables.
pub fn parse(src: &str) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let res = fluent_syntax::parser::parse(src)
        .map_err(|(_, errors)| format!("{} parse error(s): {errors:?}", errors.len()))?;
    let mut out = BTreeMap::new();
    for entry in &res.body {
        match entry {
            Entry::Message(m) => {
                let mut vars = BTreeSet::new();
                m.value.iter().for_each(|p| pattern_vars(p, &mut vars));
                m.attributes.iter().for_each(|a| pattern_vars(&a.value, &mut vars));
                if out.insert(m.id.name.to_owned(), vars).is_some() {
                    return Err(format!("message {} is defined twice", m.id.name));
                }
            }
            Entry::Comment(_) | Entry::GroupComment(_) | Entry::ResourceComment(_) => {}
            Entry::Term(t) => return Err(format!("term -{} (only messages and comments are expected)", t.id.name)),
            Entry::Junk { content } => return Err(format!("junk: {content:?}")),
        }
    }
    Ok(out)
}

fn pattern_vars(p: &Pattern<&str>, out: &mut BTreeSet<String>) {
    for el in &p.elements {
        if let PatternElement::Placeable { expression } = el {
            expression_vars(expression, out);
        }
    }
}

fn expression_vars(e: &Expression<&str>, out: &mut BTreeSet<String>) {
    match e {
        Expression::Select { selector, variants } => {
            inline_vars(selector, out);
            variants.iter().for_each(|v| pattern_vars(&v.value, out));
        }
        Expression::Inline(i) => inline_vars(i, out),
    }
}

fn inline_vars(e: &InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match e {
        InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_owned());
        }
        InlineExpression::FunctionReference { arguments, .. } => {
            arguments.positional.iter().for_each(|a| inline_vars(a, out));
            arguments.named.iter().for_each(|a| inline_vars(&a.value, out));
        }
        InlineExpression::TermReference { arguments: Some(arguments), .. } => {
            arguments.positional.iter().for_each(|a| inline_vars(a, out));
            arguments.named.iter().for_each(|a| inline_vars(&a.value, out));
        }
        InlineExpression::Placeable { expression } => expression_vars(expression, out),
        _ => {}
    }
}

/// Parity between the locales `langs` under `root` (each a folder of .ftl files): every message
/// exists in every language, in the file of the same name, with the same variables. Returns
/// the differences, one line each.
pub fn parity(root: &Path, langs: &[&str]) -> Result<Vec<String>, String> {
    let locales: Vec<(&str, Locale)> =
        langs.iter().map(|l| Locale::load(&root.join(l)).map(|loc| (*l, loc))).collect::<Result<_, _>>()?;
    let ids: BTreeSet<&String> = locales.iter().flat_map(|(_, l)| l.messages.keys()).collect();
    let mut problems = Vec::new();
    for id in ids {
        let defs: Vec<(&str, Option<&Message>)> = locales.iter().map(|(l, loc)| (*l, loc.messages.get(id))).collect();
        let Some((first_lang, first)) = defs.iter().find_map(|(l, m)| m.map(|m| (*l, m))) else { continue };
        for (lang, m) in &defs {
            match m {
                None => problems.push(format!("{lang} lacks {id} ({first_lang} has it in {})", first.file)),
                Some(m) if m.file != first.file => {
                    problems.push(format!("{id}: in {} for {first_lang}, in {} for {lang}", first.file, m.file))
                }
                Some(m) if m.vars != first.vars => problems
                    .push(format!("{id}: {first_lang} uses the variables {:?}, {lang} {:?}", first.vars, m.vars)),
                Some(_) => {}
            }
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_found_everywhere_in_a_message() {
        let src = "# a comment\nhello = Hello { $name }!\n    .title = { $title }\n\
                   count = { $n ->\n    [one] one { $what }\n   *[other] { NUMBER($n) } { $whats }\n}\n";
        let msgs = parse(src).unwrap();
        let names = |id: &str| msgs[id].iter().map(String::as_str).collect::<Vec<_>>();
        assert_eq!(names("hello"), ["name", "title"]);
        assert_eq!(names("count"), ["n", "what", "whats"]);
        assert!(parse("-brand = X\n").is_err(), "terms are refused");
        assert!(parse("a = x\na = y\n").is_err(), "duplicates are refused");
        assert!(parse("a = { $x\n").is_err(), "syntax errors are refused");
    }

    #[test]
    fn parity_reads_every_file_of_each_locale() {
        let root = std::env::temp_dir().join(format!("testkit-ftl-{}", std::process::id()));
        let write = |lang: &str, file: &str, body: &str| {
            std::fs::create_dir_all(root.join(lang)).unwrap();
            std::fs::write(root.join(lang).join(file), body).unwrap();
        };
        write("en", "main.ftl", "a = A { $x }\n");
        write("fr", "main.ftl", "a = Á { $x }\n");
        write("en", "topup.ftl", "t = T { $amount }\nonly-en = E\n");
        write("fr", "topup.ftl", "t = T { $montant }\n");
        let problems = parity(&root, &["en", "fr"]).unwrap();
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].contains("fr lacks only-en"), "{problems:#?}");
        assert!(problems[1].starts_with("t: en uses the variables {\"amount\"}"), "{problems:#?}");
    }
}
