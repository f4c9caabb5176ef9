//! Errors as data.
//!
//! Every runtime failure is an [`Error`] carrying the *Python exception class name* that
//! yaql 3.2.0 (or Mistral) would raise ([`ErrorKind::python_name`]) and a message. The
//! conformance runner compares the class name; the message is informative only.

use std::fmt;

/// The Python exception class a failure corresponds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `NoFunctionRegisteredException`: no function of that name exists.
    NoFunctionRegistered,
    /// `NoMethodRegisteredException`: no method of that name exists.
    NoMethodRegistered,
    /// `NoMatchingFunctionException`: the name exists but no overload fits.
    NoMatchingFunction,
    /// `NoMatchingMethodException`: the method exists but no overload fits.
    NoMatchingMethod,
    /// `AmbiguousFunctionException`.
    AmbiguousFunction,
    /// `AmbiguousMethodException`.
    AmbiguousMethod,
    /// `MappingTranslationException`: `expr => v` where a keyword was expected.
    MappingTranslation,
    /// Python `KeyError`.
    KeyError,
    /// Python `IndexError`.
    IndexError,
    /// Python `ValueError`.
    ValueError,
    /// Python `json.JSONDecodeError` (a `ValueError`), from `json_parse`.
    JsonDecodeError,
    /// Python `TypeError`.
    TypeError,
    /// Python `ZeroDivisionError`.
    ZeroDivisionError,
    /// Python `StopIteration`.
    StopIteration,
    /// Python `AssertionError`.
    AssertionError,
    /// Python `AttributeError`.
    AttributeError,
    /// Python `OverflowError`.
    OverflowError,
    /// yaql `CollectionTooLargeException` (the `yaql.limitIterators` option).
    CollectionTooLarge,
    /// yaql `MemoryQuotaExceededException`: Gale's memory budget was exceeded.
    MemoryQuotaExceeded,
    /// Gale's step budget was exceeded (no yaql equivalent: yaql would loop forever).
    StepBudgetExceeded,
    /// Python `RecursionError`: nesting deeper than the interpreter allows (Python's
    /// own recursion limit in yaql and Jinja).
    RecursionError,
    /// Python `re.error`: an invalid regular expression.
    RegexError,
    /// PyYAML `RepresenterError`.
    RepresenterError,
    /// PyYAML `ParserError` (`yaml_parse` of malformed YAML).
    YamlParserError,
    /// PyYAML `ScannerError` (`yaml_parse` of malformed YAML).
    YamlScannerError,
    /// A Mistral-level failure (e.g. a missing engine context).
    MistralError,
    /// Jinja `UndefinedError`: a `StrictUndefined` value was used.
    UndefinedError,
    /// Jinja sandbox `SecurityError`: an unsafe attribute or call.
    SecurityError,
    /// Jinja `TemplateSyntaxError`.
    TemplateSyntaxError,
    /// Python `NameError` (Jinja: an infinite float literal compiles to `inf`).
    NameError,
    /// Jinja `TemplateAssertionError` (an unknown filter or test).
    TemplateAssertionError,
}

impl ErrorKind {
    /// The Python class name, exactly as the conformance files spell it.
    pub fn python_name(self) -> &'static str {
        match self {
            ErrorKind::NoFunctionRegistered => "NoFunctionRegisteredException",
            ErrorKind::NoMethodRegistered => "NoMethodRegisteredException",
            ErrorKind::NoMatchingFunction => "NoMatchingFunctionException",
            ErrorKind::NoMatchingMethod => "NoMatchingMethodException",
            ErrorKind::AmbiguousFunction => "AmbiguousFunctionException",
            ErrorKind::AmbiguousMethod => "AmbiguousMethodException",
            ErrorKind::MappingTranslation => "MappingTranslationException",
            ErrorKind::KeyError => "KeyError",
            ErrorKind::IndexError => "IndexError",
            ErrorKind::ValueError => "ValueError",
            ErrorKind::JsonDecodeError => "JSONDecodeError",
            ErrorKind::TypeError => "TypeError",
            ErrorKind::ZeroDivisionError => "ZeroDivisionError",
            ErrorKind::StopIteration => "StopIteration",
            ErrorKind::AssertionError => "AssertionError",
            ErrorKind::AttributeError => "AttributeError",
            ErrorKind::OverflowError => "OverflowError",
            ErrorKind::CollectionTooLarge => "CollectionTooLargeException",
            ErrorKind::MemoryQuotaExceeded => "MemoryQuotaExceededException",
            ErrorKind::StepBudgetExceeded => "StepBudgetExceeded",
            ErrorKind::RecursionError => "RecursionError",
            ErrorKind::RegexError => "error",
            ErrorKind::RepresenterError => "RepresenterError",
            ErrorKind::YamlParserError => "ParserError",
            ErrorKind::YamlScannerError => "ScannerError",
            ErrorKind::MistralError => "MistralException",
            ErrorKind::UndefinedError => "UndefinedError",
            ErrorKind::SecurityError => "SecurityError",
            ErrorKind::TemplateSyntaxError => "TemplateSyntaxError",
            ErrorKind::NameError => "NameError",
            ErrorKind::TemplateAssertionError => "TemplateAssertionError",
        }
    }
}

/// A runtime error: its Python class and a message. Boxed so `Result<Value, Error>` stays
/// two words wide.
#[derive(Clone, PartialEq)]
pub struct Error(Box<ErrorInner>);

#[derive(Clone, PartialEq)]
struct ErrorInner {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// Builds an error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(ErrorInner {
            kind,
            message: message.into(),
        }))
    }
    /// The Python exception class.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }
    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.0.message
    }
    /// `TypeError(msg)`.
    pub fn type_error(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::TypeError, msg)
    }
    /// `ValueError(msg)`.
    pub fn value_error(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::ValueError, msg)
    }
    /// `KeyError(msg)`.
    pub fn key_error(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::KeyError, msg)
    }
    /// `IndexError(msg)`.
    pub fn index_error(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::IndexError, msg)
    }
    /// `StopIteration`.
    pub fn stop_iteration() -> Error {
        Error::new(ErrorKind::StopIteration, "")
    }
    /// `ZeroDivisionError`.
    pub fn zero_division(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::ZeroDivisionError, msg)
    }
    /// No overload of function `name` fits the arguments.
    pub fn no_matching(name: &str, method: bool) -> Error {
        if method {
            Error::new(
                ErrorKind::NoMatchingMethod,
                format!("No method \"{name}\" matches supplied arguments"),
            )
        } else {
            Error::new(
                ErrorKind::NoMatchingFunction,
                format!("No function \"{name}\" matches supplied arguments"),
            )
        }
    }
    /// No function or method named `name` exists.
    pub fn not_registered(name: &str, method: bool) -> Error {
        if method {
            Error::new(
                ErrorKind::NoMethodRegistered,
                format!("Unknown method \"{name}\""),
            )
        } else {
            Error::new(
                ErrorKind::NoFunctionRegistered,
                format!("Unknown function \"{name}\""),
            )
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.kind.python_name(), self.0.message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.kind.python_name(), self.0.message)
    }
}

impl std::error::Error for Error {}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
