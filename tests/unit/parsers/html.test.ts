import { beforeAll, describe, expect, it } from 'vitest';
import { DocumentError, parseDocument, type ParsedDocument } from '../../../src/domain/parsers';
import { fixture } from './fixtures';

describe('HTML main-content extraction', () => {
  let blog: ParsedDocument;
  let wikipedia: ParsedDocument;
  beforeAll(async () => {
    blog = await parseDocument(fixture('html/autogen_blog_docusaurus.html'));
    wikipedia = await parseDocument(fixture('html/wikipedia_duck.html'));
  });

  it('keeps the article text and its title', () => {
    expect(blog.format).toBe('html');
    expect(blog.title).toContain('Does Model and Inference Parameter Matter in LLM Applications?');
    expect(blog.text).toContain('MATH consists of 12K math competition problems from AMC-10, AMC-12 and AIME.');
    expect(wikipedia.text).toContain('Duck is the common name for numerous species of waterfowl in the family Anatidae.');
    expect(wikipedia.text).toContain('Etymology');
  });

  it('drops navigation, page chrome and script code', () => {
    for (const chrome of ['Skip to main content', 'Recent posts', 'Newer Post', 'Copyright © 2024 AutoGen Authors', 'data-theme']) {
      expect(blog.text).not.toContain(chrome);
    }
    for (const chrome of ['Jump to content', 'Main menu', 'Personal tools', 'Privacy policy', 'Create account', 'RLCONF']) {
      expect(wikipedia.text).not.toContain(chrome);
    }
  });

  it('decodes entities and removes invisible characters', () => {
    expect(blog.text).toContain('search & pruning strategy');
    expect(blog.text).not.toMatch(/&amp;|&quot;|&#\d+;/);
    expect(blog.text).not.toContain('\u200B');
  });

  it('keeps list structure in plain-text mode', () => {
    expect(blog.text).toMatch(/^- AutoGen can help with model selection, parameter tuning, and cost-saving in LLM applications\.$/m);
  });

  it('can keep the content as Markdown', async () => {
    const markdown = await parseDocument(fixture('html/autogen_blog_docusaurus.html'), { markdown: true });
    expect(markdown.text).toMatch(/^## For Further Reading$/m);
    expect(markdown.text).toContain('[Research paper about the tuning technique](https://arxiv.org/abs/2303.04673)');
    expect(markdown.text).not.toContain('![');
    expect(markdown.metadata.markdown).toBe(true);
  });

  it('renders tables as rows of cells', async () => {
    const html =
      '<html><body><article><h1>Prices</h1><p>Our fruit prices, updated every week for the market.</p><table><tr><th>Fruit</th><th>Price</th></tr><tr><td>Apple</td><td>1 &euro;</td></tr></table></article></body></html>';
    const doc = await parseDocument({ fileName: 'prices.html', bytes: new TextEncoder().encode(html) });
    expect(doc.text).toContain('Fruit | Price\nApple | 1 €');
  });

  it('reads legacy pages as a browser would: declared charset, else windows-1252 when not UTF-8', async () => {
    const page = (head: string) =>
      new Uint8Array(
        Buffer.from(
          `<html><head>${head}</head><body><article><p>Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, served every day in our little caf\u00e9 by the river.</p></article></body></html>`,
          'latin1',
        ),
      );
    const declared = await parseDocument({ fileName: 'menu.html', bytes: page('<meta charset="iso-8859-1">') });
    expect(declared.text).toContain('Café crème brûlée');
    const undeclared = await parseDocument({ fileName: 'menu.html', bytes: page('') });
    expect(undeclared.text).toContain('Café crème brûlée');
    expect(undeclared.metadata.encoding).toBe('windows-1252 (undeclared, guessed)');
  });

  it('fails with empty_document when a page has no text', async () => {
    const html = '<!doctype html><html><head><script>render()</script></head><body><div id="root"></div></body></html>';
    const error = await parseDocument({ fileName: 'spa.html', bytes: new TextEncoder().encode(html) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DocumentError);
    expect((error as DocumentError).code).toBe('empty_document');
    expect((error as DocumentError).message).toContain('spa.html');
  });
});
