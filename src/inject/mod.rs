//! Secrets into other programs, for CI jobs and services: filled-in templates
//! (`render`), environment variables (`exec-env`), a file a child reads
//! (`exec-file`), the same kept current as files change (`watch`), and the
//! `decrypt --format` outputs (dotenv, shell, JSON, a Kubernetes Secret).
//!
//! - [`template`]: the template language (grammar, evaluation, functions).
//! - [`secrets`]: decrypting the files templates and commands read.
//! - [`render`]: planning and rendering a set of templates.
//! - [`env`]: a tree as environment variable names and values.
//! - [`output`]: those variables as dotenv, shell, JSON or a Kubernetes Secret.
//! - [`child`]: running a command as enseal's child, signals passed on.
//! - [`handoff`]: decrypted content at a path (FIFO or private file).
//! - [`watch`]: noticing changed files.
//! - [`yaml`]: writing YAML that every reader takes back unchanged.

pub mod child;
pub mod env;
pub mod handoff;
pub mod output;
pub mod render;
pub mod secrets;
pub mod template;
pub mod watch;
pub mod yaml;
