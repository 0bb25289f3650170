// The YouTube client against a local server that replays recorded-shape responses: the watch page
// with ytInitialPlayerResponse, a json3 English track, and a German track only available as XML.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentError, fetchYouTubeTranscript, isYouTubeUrl, youTubeVideoId } from '../../../src/domain/parsers';
import { FIXTURES_DIR } from './fixtures';

const VIDEO_ID = 'dcrk7Fx0q2A';
const VIDEO_URL = `https://www.youtube.com/watch?v=${VIDEO_ID}`;
const recorded = (name: string) => readFileSync(`${FIXTURES_DIR}youtube/${name}`, 'utf8');

const PAGE_WITHOUT_CAPTIONS = `<html><body><script>var ytInitialPlayerResponse = {"playabilityStatus":{"status":"OK"},"videoDetails":{"videoId":"noCaptions1","title":"Silent film"}};</script></body></html>`;

describe('fetchYouTubeTranscript', () => {
  let server: Server;
  let baseUrl: string;
  let allowedHosts: string[];
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://local');
      requests.push(`${url.pathname}?${url.searchParams.toString()}`);
      const lang = url.searchParams.get('lang');
      const fmt = url.searchParams.get('fmt');
      if (url.pathname === '/watch') {
        const page = url.searchParams.get('v') === VIDEO_ID ? recorded('watch_page.html') : PAGE_WITHOUT_CAPTIONS;
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
      } else if (url.pathname === '/api/timedtext' && url.searchParams.get('signature')) {
        if (lang === 'en' && fmt === 'json3') response.writeHead(200, { 'content-type': 'application/json' }).end(recorded('timedtext_en.json3'));
        // YouTube answers some json3 requests with an empty 200; the client must fall back to XML.
        else if (lang === 'de' && fmt === 'json3') response.writeHead(200, { 'content-type': 'application/json' }).end('');
        else if (lang === 'de' && !fmt) response.writeHead(200, { 'content-type': 'text/xml' }).end(recorded('timedtext_de.srv1.xml'));
        else response.writeHead(404).end();
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
    allowedHosts = [`127.0.0.1:${port}`];
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads the English json3 track with timestamps as segment provenance', async () => {
    const doc = await fetchYouTubeTranscript(VIDEO_URL, { baseUrl, allowedHosts });
    expect(doc.format).toBe('youtube');
    expect(doc.fileName).toBe(VIDEO_URL);
    expect(doc.title).toBe('Durable workflows for dataset builds (lightning talk)');
    expect(doc.metadata).toMatchObject({
      videoId: VIDEO_ID,
      channel: 'datacreek demos',
      language: 'en',
      captionKind: 'manual',
      availableLanguages: ['en', 'de'],
    });
    expect(doc.segments).toHaveLength(11);
    const third = doc.segments[2];
    expect(third.timestampSec).toBeCloseTo(7.3);
    // Word-timed segments are joined back into one caption.
    expect(doc.text.slice(third.start, third.end)).toBe('It calls a language model thousands of times, and any of those calls can fail.');
    expect(doc.text).toContain('That is what "exactly once" really means here');
    expect(doc.text.split('\n')).toHaveLength(11);
  });

  it('falls back to the XML track and decodes its double-escaped entities', async () => {
    const doc = await fetchYouTubeTranscript(`https://youtu.be/${VIDEO_ID}`, { baseUrl, allowedHosts, language: 'de' });
    expect(doc.metadata).toMatchObject({ language: 'de', captionKind: 'automatic' });
    expect(doc.segments[0].timestampSec).toBeCloseTo(0.24);
    expect(doc.text).toContain("mit festen ids 'genau einmal' heißt hier");
    expect(requests.some((request) => request.includes('lang=de') && request.includes('fmt=json3'))).toBe(true);
    expect(requests.some((request) => request.includes('lang=de') && !request.includes('fmt='))).toBe(true);
  });

  it('says when a video has no captions', async () => {
    const error = await fetchYouTubeTranscript('https://www.youtube.com/watch?v=noCaptions1', { baseUrl, allowedHosts }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DocumentError);
    expect((error as DocumentError).code).toBe('no_transcript');
    expect((error as DocumentError).message).toContain('noCaptions1');
  });

  it('keeps the network guard on unless the caller opts out explicitly', async () => {
    const error = await fetchYouTubeTranscript(VIDEO_URL, { baseUrl }).catch((caught: unknown) => caught);
    expect((error as DocumentError).code).toBe('url_forbidden');
  });
});

describe('YouTube URLs', () => {
  it('recognises the common URL forms', () => {
    for (const url of [
      'https://www.youtube.com/watch?v=dcrk7Fx0q2A',
      'https://youtube.com/watch?v=dcrk7Fx0q2A&t=42s',
      'https://m.youtube.com/watch?v=dcrk7Fx0q2A',
      'https://youtu.be/dcrk7Fx0q2A?si=abc',
      'https://www.youtube.com/shorts/dcrk7Fx0q2A',
      'https://www.youtube.com/embed/dcrk7Fx0q2A',
      'https://www.youtube-nocookie.com/embed/dcrk7Fx0q2A',
      'https://www.youtube.com/live/dcrk7Fx0q2A',
    ]) {
      expect(youTubeVideoId(url)).toBe('dcrk7Fx0q2A');
    }
  });

  it('rejects other URLs', () => {
    for (const url of [
      'https://www.youtube.com/',
      'https://www.youtube.com/watch?v=short',
      'https://vimeo.com/123',
      'https://notyoutube.com/watch?v=dcrk7Fx0q2A',
      'not a url',
    ]) {
      expect(isYouTubeUrl(url)).toBe(false);
    }
  });
});
