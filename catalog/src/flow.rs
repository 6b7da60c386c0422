//! The flow picture, producers → topics → consumers, as SVG laid out here (no script, no layout
//! engine): three columns, each a stack of boxes. A producer's box lists its events, one row each,
//! so 50 events are 50 rows, never crossing labels. Text widths are estimated conservatively for
//! a monospace font (every character as wide as the widest), boxes sized from them, columns placed
//! after the widest box of the column before; the layout is a pure function of its input.

use std::fmt::Write;

/// Pixels per character: 13 px monospace is about 7.8 px; rounded up so no label outgrows its box.
const CHAR_WIDTH: f64 = 8.5;
const FONT_SIZE: f64 = 13.0;
const ROW: f64 = 20.0;
const PAD: f64 = 8.0;
const COLUMN_GAP: f64 = 90.0;
const BOX_GAP: f64 = 16.0;
/// Labels longer than this are cut with `…` (the full text is the box's tooltip).
const MAX_LABEL: usize = 60;

/// A producer: its name and the events it publishes, to one topic.
pub struct Producer {
    pub name: String,
    pub events: Vec<String>,
    pub topic: String,
}

/// A consumer and the topics it reads.
pub struct Consumer {
    pub name: String,
    pub topics: Vec<String>,
}

/// What a picture shows.
pub struct Flow {
    pub title: String,
    pub producers: Vec<Producer>,
    /// Topic and partition count.
    pub topics: Vec<(String, u32)>,
    pub consumers: Vec<Consumer>,
}

/// A text's box in the picture, for the overlap test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

/// The SVG and the box of every label in it.
pub struct Picture {
    pub svg: String,
    pub labels: Vec<Rect>,
}

/// Text escaped for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn cut(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(MAX_LABEL - 1).collect();
        s.push('…');
        s
    }
}

fn text_width(label: &str) -> f64 {
    label.chars().count() as f64 * CHAR_WIDTH
}

/// One box: a header and rows, at (x, y).
struct Block {
    header: String,
    rows: Vec<String>,
    y: f64,
    w: f64,
    h: f64,
    class: &'static str,
}

fn column(items: Vec<(String, Vec<String>)>, class: &'static str) -> (Vec<Block>, f64) {
    let mut y = 40.0;
    let mut width: f64 = 0.0;
    let mut blocks = Vec::new();
    for (header, rows) in items {
        let header = cut(&header);
        let rows: Vec<String> = rows.iter().map(|r| cut(r)).collect();
        let w = std::iter::once(&header)
            .chain(&rows)
            .map(|t| text_width(t))
            .fold(0.0, f64::max)
            + 2.0 * PAD;
        let h = ROW * (1 + rows.len()) as f64 + PAD;
        width = width.max(w);
        blocks.push(Block {
            header,
            rows,
            y,
            w,
            h,
            class,
        });
        y += h + BOX_GAP;
    }
    (blocks, width)
}

/// The boxes of the three columns at `xs`, each label's box pushed onto `labels`.
fn draw_blocks(svg: &mut String, labels: &mut Vec<Rect>, xs: [f64; 3], columns: [&Vec<Block>; 3]) {
    for (x, col) in xs.iter().zip(columns) {
        for b in col {
            let _ = writeln!(
                svg,
                "<g class=\"{}\"><title>{}</title><rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"4\"/>",
                b.class,
                escape(&b.header),
                b.y,
                b.w,
                b.h
            );
            for (i, text) in std::iter::once(&b.header).chain(&b.rows).enumerate() {
                let baseline = b.y + PAD / 2.0 + ROW * i as f64 + FONT_SIZE + 1.0;
                let class = if i == 0 { " class=\"h\"" } else { "" };
                let _ = writeln!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{baseline:.1}\"{class}>{}</text>",
                    x + PAD,
                    escape(text)
                );
                labels.push(Rect {
                    x: x + PAD,
                    y: baseline - FONT_SIZE,
                    w: text_width(text),
                    h: FONT_SIZE + 4.0,
                });
            }
            svg.push_str("</g>\n");
        }
    }
}

/// Lays out and draws `flow`.
pub fn draw(flow: &Flow) -> Picture {
    let (producers, pw) = column(
        flow.producers
            .iter()
            .map(|p| (p.name.clone(), p.events.clone()))
            .collect(),
        "producer",
    );
    let (topics, tw) = column(
        flow.topics
            .iter()
            .map(|(t, n)| (t.clone(), vec![format!("{n} partitions")]))
            .collect(),
        "topic",
    );
    let (consumers, cw) = column(
        flow.consumers.iter().map(|c| (c.name.clone(), Vec::new())).collect(),
        "consumer",
    );
    // A column is at least as wide as its heading.
    let (pw, tw, cw) = (
        pw.max(text_width("producers")),
        tw.max(text_width("topics")),
        cw.max(text_width("consumers")),
    );
    let xs = [PAD, PAD + pw + COLUMN_GAP, PAD + pw + COLUMN_GAP + tw + COLUMN_GAP];
    let width = xs[2] + cw + PAD;
    let height = [&producers, &topics, &consumers]
        .iter()
        .filter_map(|c| c.last().map(|b| b.y + b.h))
        .fold(60.0, f64::max)
        + PAD;
    let mut svg = String::new();
    let mut labels = Vec::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"monospace\" font-size=\"{FONT_SIZE}\">\n<title>{}</title>\n<style>.producer rect{{fill:#e8f0fe;stroke:#3b6fd8}}.topic rect{{fill:#fff4e0;stroke:#c98a1b}}.consumer rect{{fill:#e7f6ea;stroke:#2f8f46}}.edge{{stroke:#888;fill:none}}.h{{font-weight:bold}}</style>\n",
        escape(&flow.title)
    );
    let heads = ["producers", "topics", "consumers"];
    for (x, head) in xs.iter().zip(heads) {
        let _ = writeln!(svg, "<text x=\"{x:.1}\" y=\"20\" class=\"h\">{head}</text>");
        labels.push(Rect {
            x: *x,
            y: 20.0 - FONT_SIZE,
            w: text_width(head),
            h: FONT_SIZE + 4.0,
        });
    }
    let topic_y = |name: &str| {
        flow.topics
            .iter()
            .position(|(t, _)| t == name)
            .and_then(|i| topics.get(i))
            .map(|b| b.y + ROW / 2.0 + PAD / 2.0)
    };
    // Edges first, under the boxes.
    for (p, b) in flow.producers.iter().zip(&producers) {
        if let Some(ty) = topic_y(&p.topic) {
            let (x1, y1, x2) = (xs[0] + b.w, b.y + ROW / 2.0 + PAD / 2.0, xs[1]);
            let _ = writeln!(
                svg,
                "<path class=\"edge\" d=\"M{x1:.1},{y1:.1} C{:.1},{y1:.1} {:.1},{ty:.1} {x2:.1},{ty:.1}\" marker-end=\"url(#arrow)\"/>",
                x1 + COLUMN_GAP / 2.0,
                x2 - COLUMN_GAP / 2.0
            );
        }
    }
    for (c, b) in flow.consumers.iter().zip(&consumers) {
        for t in &c.topics {
            if let Some((ty, tb)) =
                topic_y(t).zip(flow.topics.iter().position(|(n, _)| n == t).and_then(|i| topics.get(i)))
            {
                let (x1, x2, y2) = (xs[1] + tb.w, xs[2], b.y + ROW / 2.0 + PAD / 2.0);
                let _ = writeln!(
                    svg,
                    "<path class=\"edge\" d=\"M{x1:.1},{ty:.1} C{:.1},{ty:.1} {:.1},{y2:.1} {x2:.1},{y2:.1}\" marker-end=\"url(#arrow)\"/>",
                    x1 + COLUMN_GAP / 2.0,
                    x2 - COLUMN_GAP / 2.0
                );
            }
        }
    }
    svg.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#888\"/></marker></defs>\n");
    draw_blocks(&mut svg, &mut labels, xs, [&producers, &topics, &consumers]);
    svg.push_str("</svg>\n");
    Picture { svg, labels }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big() -> Flow {
        let producers = (0..6)
            .map(|s| Producer {
                name: format!("service-{s}"),
                events: (0..12)
                    .map(|e| format!("acme.s{s}.v1.SomethingQuiteLongHappened{e}"))
                    .collect(),
                topic: format!("topic-{}", s % 3),
            })
            .collect();
        Flow {
            title: "all".into(),
            producers,
            topics: (0..3).map(|t| (format!("topic-{t}"), 4)).collect(),
            consumers: (0..5)
                .map(|c| Consumer {
                    name: format!("consumer-with-a-long-name-{c}"),
                    topics: vec![format!("topic-{}", c % 3)],
                })
                .collect(),
        }
    }

    #[test]
    fn labels_never_overlap_with_72_events() {
        let picture = draw(&big());
        assert!(picture.labels.len() > 72 + 6 + 3 + 5);
        for (i, a) in picture.labels.iter().enumerate() {
            for b in &picture.labels[i + 1..] {
                assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn labels_fit_inside_the_picture_and_layout_is_deterministic() {
        let one = draw(&big());
        let two = draw(&big());
        assert_eq!(one.svg, two.svg);
        let width: f64 = one
            .svg
            .split("width=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0);
        assert!(
            one.labels.iter().all(|l| l.x + l.w <= width),
            "a label runs off the picture"
        );
    }

    #[test]
    fn text_is_escaped() {
        let flow = Flow {
            title: "<script>".into(),
            producers: vec![Producer {
                name: "a&b".into(),
                events: vec!["<b>x</b>".into()],
                topic: "t".into(),
            }],
            topics: vec![("t".into(), 1)],
            consumers: Vec::new(),
        };
        let svg = draw(&flow).svg;
        assert!(!svg.contains("<script>") && !svg.contains("<b>"));
        assert!(svg.contains("&lt;b&gt;x&lt;/b&gt;") && svg.contains("a&amp;b"));
    }
}
