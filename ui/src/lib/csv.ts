// CSV for the spreadsheet the figures end up in (RFC 4180: quoted where needed, CRLF).
// German Excel splits on ';' and reads ',' as the decimal mark, English on ',' and '.':
// `csvFormat` picks both from the UI language, so the file opens as columns of numbers.

export type CsvCell = string | number | null | undefined;

export interface CsvFormat {
  separator: ';' | ',';
  decimal: ',' | '.';
}

export function csvFormat(language: string): CsvFormat {
  return language.startsWith('de') ? { separator: ';', decimal: ',' } : { separator: ',', decimal: '.' };
}

/** A cell a spreadsheet would run as a formula ("=…", "+…", "-…", "@…"). */
const FORMULA = /^[=+\-@\t\r]/;

function cell(value: CsvCell, format: CsvFormat): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    return Number.isFinite(value) ? String(value).replace('.', format.decimal) : '';
  }
  // A name typed by someone ("=HYPERLINK(…)") is text, never a formula.
  const text = FORMULA.test(value) ? `'${value}` : value;
  const quote = text.includes(format.separator) || /["\r\n]/.test(text) || text !== text.trim();
  return quote ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The rows as CSV text; numbers get the format's decimal mark, text is quoted where it must be. */
export function toCsv(rows: CsvCell[][], format: CsvFormat = csvFormat('en')): string {
  return rows.map((row) => row.map((value) => cell(value, format)).join(format.separator)).join('\r\n') + '\r\n';
}

/**
 * Saves `text` as a file through the webview's download (a Blob and `<a download>`): no
 * dialog permission, no file system access. The byte-order mark makes Excel read UTF-8.
 */
export function downloadCsv(filename: string, text: string): void {
  if (typeof URL.createObjectURL !== 'function') return;
  const url = URL.createObjectURL(new Blob(['\uFEFF', text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
