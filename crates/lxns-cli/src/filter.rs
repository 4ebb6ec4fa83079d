//! `lxns ls -Q/--filter EXPR`: libsmartcols' filter expressions (scols-filter(5)), as later
//! lsns takes them: `TYPE == "net" && NPROCS > 1`, `COMMAND =~ "^sleep"`, `!NSFS`.
//!
//! ```text
//! expr:  or
//! or:    and (("||" | "OR") and)*
//! and:   cmp (("&&" | "AND") cmp)*
//! cmp:   unary (("==" | "EQ" | "!=" | "NE" | "<" | "LT" | "<=" | "LE" | ">" | "GT"
//!              | ">=" | "GE" | "=~" | "!~") unary)?
//! unary: ("!" | "NOT") unary | "(" expr ")" | param
//! param: integer (with K, M, G, T, P, E, Z, Y and optional iB) | float | string in "" or ''
//!        | true | false | holder (a column name)
//! ```
//!
//! A holder alone is true when its cell is not empty. A comparison with an empty cell is
//! false. Numbers compare as numbers (floats when either side is one), anything else as
//! text. The right side of `=~`/`!~` is a string: a regular expression (the `regex-lite`
//! syntax, close to the POSIX extended expressions libsmartcols uses), unanchored.

use anyhow::{Result, anyhow, bail};

/// A value: a cell's or a literal's.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Int(u64),
    Float(f64),
    Text(String),
    Bool(bool),
    Empty,
}

impl Value {
    fn truthy(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Text(t) => !t.is_empty(),
            Value::Int(_) | Value::Float(_) => true,
            Value::Empty => false,
        }
    }

    fn as_float(&self) -> Option<f64> {
        match self {
            Value::Int(n) => Some(*n as f64),
            Value::Float(f) => Some(*f),
            Value::Text(t) => t.trim().parse().ok(),
            Value::Bool(_) | Value::Empty => None,
        }
    }

    fn as_int(&self) -> Option<u64> {
        match self {
            Value::Int(n) => Some(*n),
            Value::Text(t) => t.trim().parse().ok(),
            Value::Float(_) | Value::Bool(_) | Value::Empty => None,
        }
    }

    fn text(&self) -> String {
        match self {
            Value::Int(n) => n.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Text(t) => t.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Empty => String::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug)]
enum Expr {
    Holder(String),
    Literal(Value),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    Match(Box<Expr>, regex_lite::Regex, bool),
}

/// A parsed filter.
#[derive(Debug)]
pub struct Filter(Expr);

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Num(Value),
    Op(&'static str),
    Open,
    Close,
}

fn tokens(text: &str) -> Result<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '(' || c == ')' {
            chars.next();
            out.push(if c == '(' { Token::Open } else { Token::Close });
            continue;
        }
        if c == '"' || c == '\'' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next() {
                    Some((_, q)) if q == c => break,
                    Some((_, '\n')) | None => bail!("unterminated string at offset {at}"),
                    Some((_, ch)) => s.push(ch),
                }
            }
            out.push(Token::Str(s));
            continue;
        }
        let rest = text.get(at..).unwrap_or("");
        if let Some(op) = [
            "==", "!=", "<=", ">=", "=~", "!~", "&&", "||", "<", ">", "!",
        ]
        .into_iter()
        .find(|op| rest.starts_with(op))
        {
            for _ in 0..op.len() {
                chars.next();
            }
            out.push(Token::Op(op));
            continue;
        }
        if c.is_ascii_digit() {
            let len = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '.'))
                .unwrap_or(rest.len());
            let word = rest.get(..len).unwrap_or("");
            for _ in 0..word.chars().count() {
                chars.next();
            }
            out.push(Token::Num(number(word)?));
            continue;
        }
        if c.is_ascii_alphabetic() {
            let len = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || "_.%:/-".contains(ch)))
                .unwrap_or(rest.len());
            let word = rest.get(..len).unwrap_or("");
            for _ in 0..word.chars().count() {
                chars.next();
            }
            out.push(Token::Word(word.to_owned()));
            continue;
        }
        bail!("unexpected {c:?} at offset {at}");
    }
    Ok(out)
}

/// `123`, `4K`, `4KiB`, `1.5`.
fn number(word: &str) -> Result<Value> {
    if word.contains('.') {
        return word
            .parse()
            .map(Value::Float)
            .map_err(|_| anyhow!("invalid number {word:?}"));
    }
    let digits = word
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(word.len());
    let (n, suffix) = word.split_at(digits);
    let n: u64 = n.parse().map_err(|_| anyhow!("invalid number {word:?}"))?;
    let unit = suffix.strip_suffix("iB").unwrap_or(suffix);
    let power = match unit {
        "" => 0,
        "K" => 1,
        "M" => 2,
        "G" => 3,
        "T" => 4,
        "P" => 5,
        "E" => 6,
        "Z" => 7,
        "Y" => 8,
        _ => bail!("invalid number {word:?}"),
    };
    let mut v = n;
    for _ in 0..power {
        v = v
            .checked_mul(1024)
            .ok_or_else(|| anyhow!("number {word:?} is too large"))?;
    }
    Ok(Value::Int(v))
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    holders: &'a dyn Fn(&str) -> bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn word_is(&self, words: &[&str]) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if words.iter().any(|x| w.eq_ignore_ascii_case(x)))
    }

    fn or(&mut self) -> Result<Expr> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Op("||")) || self.word_is(&["or"]) {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr> {
        let mut left = self.cmp()?;
        while self.peek() == Some(&Token::Op("&&")) || self.word_is(&["and"]) {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.cmp()?));
        }
        Ok(left)
    }

    fn cmp(&mut self) -> Result<Expr> {
        let left = self.unary()?;
        let op = match self.peek() {
            Some(Token::Op(op)) => Some(*op),
            Some(Token::Word(w)) => match w.to_ascii_lowercase().as_str() {
                "eq" => Some("=="),
                "ne" => Some("!="),
                "lt" => Some("<"),
                "le" => Some("<="),
                "gt" => Some(">"),
                "ge" => Some(">="),
                _ => None,
            },
            _ => None,
        };
        let cmp = match op {
            Some("==") => CmpOp::Eq,
            Some("!=") => CmpOp::Ne,
            Some("<") => CmpOp::Lt,
            Some("<=") => CmpOp::Le,
            Some(">") => CmpOp::Gt,
            Some(">=") => CmpOp::Ge,
            Some(m @ ("=~" | "!~")) => {
                self.at += 1;
                let Some(Token::Str(pattern)) = self.peek().cloned() else {
                    bail!("the right side of {m} must be a string");
                };
                self.at += 1;
                let re = regex_lite::Regex::new(&pattern)
                    .map_err(|e| anyhow!("invalid regular expression {pattern:?}: {e}"))?;
                return Ok(Expr::Match(Box::new(left), re, m == "=~"));
            }
            _ => return Ok(left),
        };
        self.at += 1;
        let right = self.unary()?;
        Ok(Expr::Cmp(cmp, Box::new(left), Box::new(right)))
    }

    fn unary(&mut self) -> Result<Expr> {
        if self.peek() == Some(&Token::Op("!")) || self.word_is(&["not"]) {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        let token = self
            .peek()
            .cloned()
            .ok_or_else(|| anyhow!("unexpected end of expression"))?;
        self.at += 1;
        Ok(match token {
            Token::Open => {
                let e = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    bail!("missing ')'");
                }
                self.at += 1;
                e
            }
            Token::Str(s) => Expr::Literal(Value::Text(s)),
            Token::Num(v) => Expr::Literal(v),
            Token::Word(w) if w.eq_ignore_ascii_case("true") => Expr::Literal(Value::Bool(true)),
            Token::Word(w) if w.eq_ignore_ascii_case("false") => Expr::Literal(Value::Bool(false)),
            Token::Word(w) => {
                if !(self.holders)(&w) {
                    bail!("unknown column {w:?}");
                }
                Expr::Holder(w)
            }
            Token::Close => bail!("unexpected ')'"),
            Token::Op(op) => bail!("unexpected {op}"),
        })
    }
}

impl Filter {
    /// Parses `text`; `holders` says which names are columns.
    ///
    /// # Errors
    /// A message naming what is wrong (an unknown column, an unterminated string, …).
    pub fn parse(text: &str, holders: &dyn Fn(&str) -> bool) -> Result<Filter> {
        let tokens = tokens(text)?;
        let mut p = Parser {
            tokens: &tokens,
            at: 0,
            holders,
        };
        let e = p.or()?;
        if let Some(t) = p.peek() {
            bail!("unexpected {t:?} after the expression");
        }
        Ok(Filter(e))
    }

    /// Whether a row matches; `cell` gives a holder's value in it.
    pub fn matches(&self, cell: &dyn Fn(&str) -> Value) -> bool {
        eval(&self.0, cell).truthy()
    }
}

fn eval(e: &Expr, cell: &dyn Fn(&str) -> Value) -> Value {
    match e {
        Expr::Holder(name) => cell(name),
        Expr::Literal(v) => v.clone(),
        Expr::Not(inner) => Value::Bool(!eval(inner, cell).truthy()),
        Expr::And(a, b) => Value::Bool(eval(a, cell).truthy() && eval(b, cell).truthy()),
        Expr::Or(a, b) => Value::Bool(eval(a, cell).truthy() || eval(b, cell).truthy()),
        Expr::Match(a, re, want) => match eval(a, cell) {
            Value::Empty => Value::Bool(false),
            v => Value::Bool(re.is_match(&v.text()) == *want),
        },
        Expr::Cmp(op, a, b) => Value::Bool(compare(*op, &eval(a, cell), &eval(b, cell))),
    }
}

fn compare(op: CmpOp, a: &Value, b: &Value) -> bool {
    use std::cmp::Ordering;
    if matches!(a, Value::Empty) || matches!(b, Value::Empty) {
        return false;
    }
    let ordering = match (a, b) {
        (Value::Bool(_), _) | (_, Value::Bool(_)) => a.truthy().cmp(&b.truthy()),
        (Value::Float(_), _) | (_, Value::Float(_)) => match (a.as_float(), b.as_float()) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => a.text().cmp(&b.text()),
        },
        (Value::Int(_), _) | (_, Value::Int(_)) => match (a.as_int(), b.as_int()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => a.text().cmp(&b.text()),
        },
        _ => a.text().cmp(&b.text()),
    };
    match op {
        CmpOp::Eq => ordering == Ordering::Equal,
        CmpOp::Ne => ordering != Ordering::Equal,
        CmpOp::Lt => ordering == Ordering::Less,
        CmpOp::Le => ordering != Ordering::Greater,
        CmpOp::Gt => ordering == Ordering::Greater,
        CmpOp::Ge => ordering != Ordering::Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str) -> Value {
        match name.to_ascii_uppercase().as_str() {
            "TYPE" => Value::Text("net".into()),
            "NPROCS" => Value::Int(3),
            "COMMAND" => Value::Text("sleep 3600".into()),
            "NSFS" => Value::Empty,
            _ => Value::Empty,
        }
    }

    fn check(text: &str) -> bool {
        let known = |n: &str| {
            ["TYPE", "NPROCS", "COMMAND", "NSFS"]
                .iter()
                .any(|c| c.eq_ignore_ascii_case(n))
        };
        Filter::parse(text, &known).unwrap().matches(&row)
    }

    #[test]
    fn operators_words_precedence_and_types() {
        assert!(check(r#"TYPE == "net" && NPROCS > 1"#));
        assert!(check(r#"TYPE eq 'net' AND NPROCS ge 3"#));
        assert!(!check(r#"TYPE != "net" || NPROCS < 3"#));
        assert!(check(r#"TYPE == "mnt" || TYPE == "net" && NPROCS == 3"#));
        assert!(!check(r#"(TYPE == "mnt" || TYPE == "net") && NPROCS == 2"#));
        assert!(check(r#"COMMAND =~ "^sleep [0-9]+$""#));
        assert!(check(r#"COMMAND !~ "bash""#));
        assert!(check("!NSFS && NOT NSFS"));
        assert!(!check("NSFS"));
        assert!(
            !check(r#"NSFS == """#),
            "a comparison with an empty cell is false"
        );
        assert!(check("NPROCS < 1K && NPROCS <= 3.5 && true"));
        assert!(check("NPROCS == \"3\""));
    }

    #[test]
    fn bad_expressions_are_named() {
        let known = |n: &str| n == "TYPE";
        for (text, want) in [
            ("BOGUS == 1", "unknown column"),
            ("TYPE == \"x", "unterminated"),
            ("(TYPE", "missing ')'"),
            ("TYPE ==", "end of expression"),
            ("TYPE =~ 3", "must be a string"),
            ("TYPE =~ \"(\"", "regular expression"),
            ("TYPE TYPE", "after the expression"),
            ("1X", "invalid number"),
        ] {
            let e = Filter::parse(text, &known).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
