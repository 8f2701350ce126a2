//! Flowing content down pages: a cursor, page breaks that repeat a table's
//! header, wrapped paragraphs, tables with right-aligned numbers, and a
//! footer with page numbers added once the page count is known.

use dun_core::document::DocumentSettings;

use crate::canvas::{Color, Font, Fonts, Page, ACCENT, BLACK, GREY, RULE, SHADE};

pub const MARGIN_PT: f32 = 50.0;
/// Content stops this far above the page's bottom edge; the footer lives below.
const FOOTER_SPACE_PT: f32 = 62.0;
const TOP_CONTINUED_PT: f32 = 60.0;

pub const BODY_PT: f32 = 9.5;
pub const SMALL_PT: f32 = 8.0;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table column: its width in points and how its cells align.
#[derive(Clone, Copy)]
pub struct Column {
    pub width: f32,
    pub align: Align,
}

pub struct Doc<'f> {
    pub fonts: &'f Fonts,
    pub pages: Vec<Page>,
    /// The cursor: where the next thing goes, from the top of the page.
    pub y: f32,
    /// Printed at the top of every page after the first.
    continued: String,
    /// The paper, language and logo the organisation's documents use.
    pub settings: &'f DocumentSettings,
}

impl<'f> Doc<'f> {
    pub fn new(fonts: &'f Fonts, continued: String, settings: &'f DocumentSettings) -> Doc<'f> {
        Doc {
            fonts,
            pages: vec![Page::default()],
            y: MARGIN_PT,
            continued,
            settings,
        }
    }

    /// The fixed words of the organisation's document locale.
    pub fn words(&self) -> &'static crate::words::Words {
        crate::words::words(self.settings.locale)
    }

    /// The page's height, in points.
    pub fn page_height(&self) -> f32 {
        self.settings.paper.size_pt().1
    }

    /// The width between the margins, in points.
    pub fn content_width(&self) -> f32 {
        self.settings.paper.size_pt().0 - 2.0 * MARGIN_PT
    }

    /// Where content stops, above the footer.
    fn bottom(&self) -> f32 {
        self.page_height() - FOOTER_SPACE_PT
    }

    pub fn page(&mut self) -> &mut Page {
        self.pages.last_mut().expect("a document has a page")
    }

    pub fn x(&self) -> f32 {
        MARGIN_PT
    }

    pub fn right(&self) -> f32 {
        MARGIN_PT + self.content_width()
    }

    /// Starts a new page when `height` more points do not fit; says whether it did.
    pub fn ensure(&mut self, height: f32) -> bool {
        if self.y + height <= self.bottom() {
            return false;
        }
        self.new_page();
        true
    }

    pub fn new_page(&mut self) {
        self.pages.push(Page::default());
        let text = self.continued.clone();
        let x = self.x();
        let right = self.right();
        self.page().text(
            x,
            TOP_CONTINUED_PT - 18.0,
            Font::Bold,
            SMALL_PT,
            GREY,
            &text,
        );
        self.page().line(
            x,
            TOP_CONTINUED_PT - 10.0,
            right,
            TOP_CONTINUED_PT - 10.0,
            0.5,
            RULE,
        );
        self.y = TOP_CONTINUED_PT;
    }

    pub fn width(&self, font: Font, size: f32, text: &str) -> f32 {
        self.fonts.width(font, size, text)
    }

    /// Text with its baseline at `y`, right-aligned to `right`.
    pub fn text_right(
        &mut self,
        right: f32,
        y: f32,
        font: Font,
        size: f32,
        color: Color,
        text: &str,
    ) {
        let w = self.width(font, size, text);
        self.page().text(right - w, y, font, size, color, text);
    }

    /// A paragraph wrapped to `width` at `x`, flowing onto new pages.
    pub fn paragraph(
        &mut self,
        x: f32,
        width: f32,
        font: Font,
        size: f32,
        color: Color,
        text: &str,
    ) {
        let leading = size * 1.45;
        for line in self.fonts.wrap(font, size, text, width) {
            self.ensure(leading);
            self.y += leading;
            let y = self.y - leading * 0.3;
            self.page().text(x, y, font, size, color, &line);
        }
    }

    /// A small capitalised label over a section, with a rule under it.
    pub fn section(&mut self, title: &str) {
        self.ensure(40.0);
        self.y += 15.0;
        let (x, right, y) = (self.x(), self.right(), self.y);
        self.page()
            .text(x, y, Font::Bold, SMALL_PT, ACCENT, &title.to_uppercase());
        self.page().line(x, y + 4.0, right, y + 4.0, 0.5, RULE);
        self.y += 6.0;
    }

    /// Draws a table's header row at the cursor.
    pub fn table_header(&mut self, columns: &[Column], labels: &[&str]) {
        let height = 20.0;
        let (x0, y, width) = (self.x(), self.y, self.content_width());
        self.page().rect(x0, y, width, height, ACCENT);
        let mut x = x0;
        for (col, label) in columns.iter().zip(labels) {
            let baseline = y + 13.5;
            match col.align {
                Align::Left => self.page().text(
                    x + 6.0,
                    baseline,
                    Font::Bold,
                    SMALL_PT,
                    crate::canvas::WHITE,
                    label,
                ),
                Align::Right => self.text_right(
                    x + col.width - 6.0,
                    baseline,
                    Font::Bold,
                    SMALL_PT,
                    crate::canvas::WHITE,
                    label,
                ),
            }
            x += col.width;
        }
        self.y += height;
    }

    /// Draws one row; the first left-aligned cell wraps. On a page break the
    /// header is drawn again. `shade` fills the row's background.
    pub fn table_row(
        &mut self,
        columns: &[Column],
        labels: &[&str],
        cells: &[String],
        font: Font,
        shade: bool,
    ) {
        let size = BODY_PT;
        let leading = size * 1.35;
        let wrapped: Vec<Vec<String>> = columns
            .iter()
            .zip(cells)
            .map(|(col, cell)| match col.align {
                Align::Left => self.fonts.wrap(font, size, cell, col.width - 12.0),
                Align::Right => vec![cell.clone()],
            })
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let height = lines as f32 * leading + 9.0;
        if self.ensure(height) {
            self.table_header(columns, labels);
        }
        let (x0, y, width) = (self.x(), self.y, self.content_width());
        if shade {
            self.page().rect(x0, y, width, height, SHADE);
        }
        let mut x = x0;
        for (col, cell_lines) in columns.iter().zip(&wrapped) {
            for (i, line) in cell_lines.iter().enumerate() {
                let baseline = y + 4.5 + leading * (i as f32 + 1.0) - leading * 0.25;
                match col.align {
                    Align::Left => self.page().text(x + 6.0, baseline, font, size, BLACK, line),
                    Align::Right => {
                        self.text_right(x + col.width - 6.0, baseline, font, size, BLACK, line)
                    }
                }
            }
            x += col.width;
        }
        self.y += height;
        let right = self.right();
        let y = self.y;
        self.page().line(x0, y, right, y, 0.4, RULE);
    }

    /// A party block: a small label, the name in bold, then its lines.
    /// Returns the y it ends at.
    pub fn party(
        &mut self,
        x: f32,
        y: f32,
        width: f32,
        label: &str,
        party: &crate::PartyView,
    ) -> f32 {
        let mut y = y;
        self.page()
            .text(x, y, Font::Bold, SMALL_PT, ACCENT, &label.to_uppercase());
        y += 15.0;
        for line in self.fonts.wrap(Font::Bold, 10.5, &party.name, width) {
            self.page().text(x, y, Font::Bold, 10.5, BLACK, &line);
            y += 13.5;
        }
        for line in &party.lines {
            for piece in self.fonts.wrap(Font::Regular, BODY_PT, line, width) {
                self.page()
                    .text(x, y, Font::Regular, BODY_PT, BLACK, &piece);
                y += 12.5;
            }
        }
        y
    }

    /// Adds to every page a rule, `left` and "Page i of n".
    pub fn finish(mut self, left: &str) -> Vec<Page> {
        let n = self.pages.len();
        let (x, right) = (self.x(), self.right());
        let fonts = self.fonts;
        let y = self.page_height() - 40.0;
        let words = self.words();
        for (i, page) in self.pages.iter_mut().enumerate() {
            page.line(x, y - 12.0, right, y - 12.0, 0.5, RULE);
            page.text(x, y, Font::Regular, 7.5, GREY, left);
            let label = crate::words::fill(
                words.page_of,
                &[("page", &(i + 1).to_string()), ("pages", &n.to_string())],
            );
            let w = fonts.width(Font::Regular, 7.5, &label);
            page.text(right - w, y, Font::Regular, 7.5, GREY, &label);
        }
        std::mem::take(&mut self.pages)
    }
}
