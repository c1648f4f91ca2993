//! What a new file starts as, and what the plaintext copy is called.

use std::path::Path;

use crate::format::Format;

/// The text a new file opens with: a short example of the format. Saved unchanged,
/// nothing is created.
pub fn template(format: Format) -> &'static str {
    match format {
        Format::Yaml => {
            "# A new secrets file: replace these examples with your values, then save and quit.\n\
             database:\n    user: app\n    password: change-me\napi_token: change-me\n"
        }
        Format::Json => {
            "{\n    \"database\": {\n        \"user\": \"app\",\n        \"password\": \"change-me\"\n    },\n    \"api_token\": \"change-me\"\n}\n"
        }
        Format::Toml => {
            "# A new secrets file: replace these examples with your values, then save and quit.\n\
             api_token = \"change-me\"\n\n[database]\nuser = \"app\"\npassword = \"change-me\"\n"
        }
        Format::Dotenv => {
            "# A new secrets file: replace these examples with your values, then save and quit.\n\
             DATABASE_PASSWORD=change-me\nAPI_TOKEN=change-me\n"
        }
        Format::Ini => {
            "; A new secrets file: replace these examples with your values, then save and quit.\n\
             [database]\nuser = app\npassword = change-me\n"
        }
        Format::Binary => "Replace this text with the file's contents, then save and quit.\n",
    }
}

/// The plaintext copy's file name: the original's, so the editor shows which file it
/// is, with the format's extension added when the name does not tell it (a file read
/// with `--input-type`), so the editor highlights the right syntax.
pub fn scratch_name(path: &Path, format: Format) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "secrets".into());
    let extension = match format {
        Format::Yaml => "yaml",
        Format::Json => "json",
        Format::Dotenv => "env",
        Format::Ini => "ini",
        Format::Toml => "toml",
        Format::Binary => return name,
    };
    if Format::from_path(Path::new(&name)) == format {
        name
    } else {
        format!("{name}.{extension}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{self, Mode};

    #[test]
    fn every_template_parses_as_its_format() {
        for f in [
            Format::Yaml,
            Format::Json,
            Format::Toml,
            Format::Dotenv,
            Format::Ini,
            Format::Binary,
        ] {
            let parsed = format::parse(f, template(f).as_bytes(), Mode::Plain)
                .unwrap_or_else(|e| panic!("{}: {e}", f.name()));
            assert!(parsed.metadata.is_none());
            assert!(!parsed.doc.branches.is_empty(), "{}", f.name());
        }
    }

    #[test]
    fn names_keep_or_gain_the_extension() {
        assert_eq!(
            scratch_name(Path::new("a/secrets.enc.yaml"), Format::Yaml),
            "secrets.enc.yaml"
        );
        assert_eq!(
            scratch_name(Path::new("secrets"), Format::Json),
            "secrets.json"
        );
        assert_eq!(
            scratch_name(Path::new("prod.env"), Format::Dotenv),
            "prod.env"
        );
        assert_eq!(
            scratch_name(Path::new("key.pem"), Format::Binary),
            "key.pem"
        );
        assert_eq!(scratch_name(Path::new(".env"), Format::Dotenv), ".env");
    }
}
