//! The pages' templates and static files: defaults embedded from `catalog/templates`, any of
//! them replaced by a file of the same name from `--templates DIR`. Templates run in handlebars'
//! strict mode (a misspelt variable is an error, not an empty string) with its HTML escaping.

use std::path::Path;

use handlebars::Handlebars;

/// Every file a team can override, with its default.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("header.hbs", include_str!("../templates/header.hbs")),
    ("footer.hbs", include_str!("../templates/footer.hbs")),
    ("index.hbs", include_str!("../templates/index.hbs")),
    ("event.hbs", include_str!("../templates/event.hbs")),
    ("service.hbs", include_str!("../templates/service.hbs")),
    ("catalog.css", include_str!("../templates/catalog.css")),
    ("catalog.js", include_str!("../templates/catalog.js")),
];

/// The templates registered, and the static files copied as they are.
pub struct Templates {
    pub(crate) registry: Handlebars<'static>,
    /// `catalog.css`, `catalog.js`: (file name, text).
    pub(crate) assets: Vec<(&'static str, String)>,
}

impl Templates {
    /// The defaults, with every file of `overrides` (if given) in place of the default of the
    /// same name. A file there that is no template's name, or a template that does not parse,
    /// is an error naming it (with line and column for a syntax error).
    pub fn load(overrides: Option<&Path>) -> Result<Templates, String> {
        let mut texts: Vec<(&'static str, String, String)> = DEFAULTS
            .iter()
            .map(|(name, text)| (*name, (*text).to_owned(), format!("(built-in) {name}")))
            .collect();
        if let Some(dir) = overrides {
            let listing = std::fs::read_dir(dir)
                .map_err(|e| format!("cannot read templates directory {}: {e}", dir.display()))?;
            let mut names = Vec::new();
            for entry in listing {
                let entry = entry.map_err(|e| format!("cannot read templates directory {}: {e}", dir.display()))?;
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
            names.sort();
            for name in names {
                let path = dir.join(&name);
                let Some(slot) = texts.iter_mut().find(|(n, _, _)| *n == name) else {
                    let known: Vec<&str> = DEFAULTS.iter().map(|(n, _)| *n).collect();
                    return Err(format!(
                        "{}: not a catalog template (the templates are {})",
                        path.display(),
                        known.join(", ")
                    ));
                };
                slot.1 = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read template {}: {e}", path.display()))?;
                slot.2 = path.display().to_string();
            }
        }
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        let mut assets = Vec::new();
        for (name, text, origin) in texts {
            match name.strip_suffix(".hbs") {
                Some(stem) => registry.register_template_string(stem, &text).map_err(|e| {
                    let at = e.pos().map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default();
                    format!("{origin}{at}: template syntax error: {}", e.reason())
                })?,
                None => assets.push((name, text)),
            }
        }
        Ok(Templates { registry, assets })
    }
}
