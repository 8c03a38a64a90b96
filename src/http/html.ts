/**
 * HTML that cannot carry markup it was not written with: a tagged template ({@link html})
 * escapes every value put into it unless the value is itself {@link Html}, so a session name
 * such as `<img src=x onerror=alert(1)>` reaches the page as text.
 */

/** Markup made by {@link html} (or {@link raw} for constant text): safe to put into a page. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What a template takes: text (escaped), numbers, markup, lists of them; nothing for absent values. */
export type HtmlValue = Html | string | number | undefined | null | false | readonly HtmlValue[];

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text as HTML text or attribute value: the five markup characters as entities, and control
 * characters (which HTML forbids, and which would hide what a name says) shown as `\uXXXX`.
 * Line breaks and tabs stay: the page decides with CSS whether they show.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, (c) => ENTITIES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function render(value: HtmlValue): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Markup from a template: every value escaped unless it is {@link Html}. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => (out += render(value) + strings[i + 1]!));
  return new Html(out);
}

/**
 * Text someone else wrote (a session name, a description), isolated from the text around it:
 * `<bdi>` keeps a right-to-left override inside it from reordering the rest of the line.
 */
export function userText(text: string): Html {
  return html`<bdi>${text}</bdi>`;
}
