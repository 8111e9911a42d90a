//! Tables: header, body and footer rows, and the links and forms inside cells.

use super::Parser;
use super::text::text_of;
use crate::engine::model::{Block, Cell, Table};
use scraper::ElementRef;

impl<'a> Parser<'a> {
    pub(super) fn table(&mut self, element: ElementRef<'a>) {
        let mut table = Table::default();
        let mut caption = String::new();
        for section in element.child_elements() {
            match section.value().name() {
                "caption" => caption = text_of(section),
                "thead" => {
                    for tr in rows_of(section) {
                        let cells = self.row(tr);
                        if table.headers.is_empty() {
                            table.headers = cells.into_iter().map(|c| c.text).collect();
                        }
                    }
                }
                "tfoot" => {
                    for tr in rows_of(section) {
                        let cells = self.row(tr);
                        if !cells.is_empty() {
                            table.footer.push(cells);
                        }
                    }
                }
                "tbody" => {
                    for tr in rows_of(section) {
                        self.body_row(&mut table, tr);
                    }
                }
                "tr" => self.body_row(&mut table, section),
                _ => {}
            }
        }
        if !caption.is_empty() {
            self.page.blocks.push(Block::Paragraph {
                text: caption,
                links: Vec::new(),
            });
        }
        if !(table.headers.is_empty() && table.rows.is_empty() && table.footer.is_empty()) {
            self.page.blocks.push(Block::Table(table));
        }
    }

    /// A body row; without a `<thead>`, a first row of `<th>` only is the header.
    pub(super) fn body_row(&mut self, table: &mut Table, tr: ElementRef<'a>) {
        let all_th = tr
            .child_elements()
            .filter(|c| matches!(c.value().name(), "td" | "th"))
            .all(|c| c.value().name() == "th");
        let cells = self.row(tr);
        if cells.is_empty() {
            return;
        }
        if all_th && table.headers.is_empty() && table.rows.is_empty() {
            table.headers = cells.into_iter().map(|c| c.text).collect();
        } else {
            table.rows.push(cells);
        }
    }

    pub(super) fn row(&mut self, tr: ElementRef<'a>) -> Vec<Cell> {
        tr.child_elements()
            .filter(|c| matches!(c.value().name(), "td" | "th"))
            .map(|cell| self.cell(cell))
            .collect()
    }

    /// A cell's text (button labels included), and the links and forms inside it.
    pub(super) fn cell(&mut self, element: ElementRef<'a>) -> Cell {
        let mut cell = Cell {
            text: text_of(element),
            ..Cell::default()
        };
        for inner in element.descendent_elements().skip(1) {
            match inner.value().name() {
                "a" if inner.attr("href").is_some() => cell.links.push(self.register_link(inner)),
                "form" => cell.forms.push(self.register_form(inner)),
                _ => {}
            }
        }
        cell
    }
}

fn rows_of<'a>(section: ElementRef<'a>) -> impl Iterator<Item = ElementRef<'a>> {
    section
        .child_elements()
        .filter(|c| c.value().name() == "tr")
}
