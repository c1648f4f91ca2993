//! Secrets into other programs, for CI jobs and services: filled-in templates
//! (`render`), environment variables (`exec-env`), a file a child reads
//! (`exec-file`), the same kept current as files change (`watch`), and the
//! `decrypt --format` outputs (dotenv, shell, JSON, a Kubernetes Secret).

pub mod template;
pub mod yaml;
