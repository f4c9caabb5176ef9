//! A YAML 1.1 event parser that reproduces PyYAML's pure-Python scanner and parser
//! (stub: being written).
