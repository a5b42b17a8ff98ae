//! Small text helpers shared by the messages and the report.

/// `text` safe inside HTML: `&`, `<`, `>`, `"` and `'` escaped.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The style of a paragraph. Email clients drop `<style>` blocks and
/// classes, so every element carries its style inline.
pub(crate) const P_STYLE: &str = "margin:0 0 12px 0";

/// Plain text as HTML paragraphs, escaped: a blank line starts a new
/// paragraph, a line break within one is kept.
pub fn html_paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|paragraph| !paragraph.is_empty())
        .map(|paragraph| {
            let lines: Vec<String> = paragraph.lines().map(escape_html).collect();
            format!("<p style=\"{P_STYLE}\">{}</p>", lines.join("<br>"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` on one line, with runs of white space as one space.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_paragraphs_are_kept() {
        assert_eq!(
            html_paragraphs("a <b> & 'c'\nd\n\n\n e \"f\" "),
            "<p style=\"margin:0 0 12px 0\">a &lt;b&gt; &amp; &#39;c&#39;<br>d</p>\n<p style=\"margin:0 0 12px 0\">e &quot;f&quot;</p>"
        );
        assert_eq!(one_line(" a\n\tb  c "), "a b c");
    }
}
