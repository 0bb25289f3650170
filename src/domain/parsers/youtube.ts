// YouTube transcripts by URL: fetch the watch page, read the caption tracks from its embedded
// player data, download the chosen track as json3 (falling back to the XML format), and keep each
// caption's start time as segment provenance. Every request goes through fetchUrl, so the network
// guard and size limits apply here too.
import { DocumentError } from './errors';
import { fetchUrl, type FetchUrlOptions } from './fetch-url';
import { TextAssembler } from './text-assembly';
import type { ParsedDocument } from './types';
import { extractPlayerData, parseJson3Captions, parseXmlCaptions, pickCaptionTrack, type CaptionCue, type CaptionTrack } from './youtube-captions';

export interface YouTubeOptions extends FetchUrlOptions {
  /** Preferred caption language (e.g. 'en', 'de'); the first track is used when it is missing. */
  language?: string;
  /**
   * Origin every YouTube request is sent to, default https://www.youtube.com. Caption URLs found in
   * the page are re-rooted here too, so a mirror (or a recorded test server) answers all of them.
   */
  baseUrl?: string;
}

const YOUTUBE_ORIGIN = 'https://www.youtube.com';
const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;
const WATCH_HOSTS = new Set(['youtube.com', 'www.youtube.com', 'm.youtube.com', 'music.youtube.com', 'youtube-nocookie.com', 'www.youtube-nocookie.com']);
const PATH_PREFIXES = ['shorts', 'embed', 'live', 'v', 'e'];
/** Watch pages are ~1 MB; a caption track rarely exceeds a few hundred KB. */
const MAX_PAGE_BYTES = 8 * 1024 * 1024;

export function isYouTubeUrl(url: string): boolean {
  return youTubeVideoId(url) !== null;
}

/** The 11-character video id of any common YouTube URL form, or null. */
export function youTubeVideoId(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  const host = parsed.hostname.toLowerCase();
  const segments = parsed.pathname.split('/').filter(Boolean);
  let candidate: string | null | undefined = null;
  if (host === 'youtu.be') candidate = segments[0];
  else if (WATCH_HOSTS.has(host)) {
    if (segments[0] === 'watch') candidate = parsed.searchParams.get('v');
    else if (PATH_PREFIXES.includes(segments[0] ?? '')) candidate = segments[1];
  }
  return candidate && VIDEO_ID.test(candidate) ? candidate : null;
}

export async function fetchYouTubeTranscript(url: string, opts: YouTubeOptions = {}): Promise<ParsedDocument> {
  const videoId = youTubeVideoId(url);
  if (!videoId) {
    throw new DocumentError(
      'unsupported_format',
      url,
      'is not a YouTube video URL',
      'Use a link such as https://www.youtube.com/watch?v=VIDEO_ID or https://youtu.be/VIDEO_ID',
    );
  }
  const canonicalUrl = `${YOUTUBE_ORIGIN}/watch?v=${videoId}`;
  const { language: requestedLanguage, baseUrl, ...networkOptions } = opts;
  const origin = baseUrl ?? YOUTUBE_ORIGIN;
  const language = requestedLanguage ?? 'en';
  const fetchOptions: FetchUrlOptions = {
    ...networkOptions,
    maxBytes: opts.maxBytes ?? MAX_PAGE_BYTES,
    headers: {
      'accept-language': `${language},en;q=0.8`,
      // Skips the EU cookie-consent interstitial, which has no player data.
      cookie: 'CONSENT=YES+cb; SOCS=CAI',
      ...opts.headers,
    },
  };

  const watchPageUrl = new URL(`/watch?v=${videoId}&hl=${encodeURIComponent(language)}`, origin).href;
  const page = await fetchUrl(watchPageUrl, fetchOptions);
  const player = extractPlayerData(new TextDecoder('utf-8').decode(page.bytes));
  if (!player) {
    throw noTranscript(canonicalUrl, 'has no player data on its watch page (removed, private, or a page layout datacreek does not know)');
  }
  const track = pickCaptionTrack(player.captionTracks, requestedLanguage);
  if (!track) {
    const why =
      player.playability?.status && player.playability.status !== 'OK'
        ? ` (${player.playability.status}: ${player.playability.reason ?? 'no reason given'})`
        : '';
    throw noTranscript(canonicalUrl, `has no captions${why}`);
  }

  const cues = await downloadCues(canonicalUrl, captionUrl(track, watchPageUrl, baseUrl), fetchOptions);
  if (cues.length === 0) throw noTranscript(canonicalUrl, `has an empty ${track.languageCode} caption track`);

  const assembler = new TextAssembler('\n');
  for (const cue of cues) assembler.add(cue.text, { timestampSec: cue.startSec });
  return {
    fileName: canonicalUrl,
    format: 'youtube',
    title: player.title,
    text: assembler.text,
    segments: assembler.segments,
    metadata: {
      videoId,
      url: canonicalUrl,
      channel: player.author,
      lengthSeconds: player.lengthSeconds,
      language: track.languageCode,
      captionKind: track.kind === 'asr' ? 'automatic' : 'manual',
      captionName: track.name,
      availableLanguages: player.captionTracks.map((candidate) => candidate.languageCode),
    },
  };
}

function captionUrl(track: CaptionTrack, watchPageUrl: string, baseUrl: string | undefined): URL {
  const resolved = new URL(track.baseUrl, watchPageUrl);
  return baseUrl ? new URL(`${resolved.pathname}${resolved.search}`, baseUrl) : resolved;
}

/** json3 first (structured, exact timings); the XML format when json3 is refused or empty. */
async function downloadCues(videoUrl: string, trackUrl: URL, fetchOptions: FetchUrlOptions): Promise<CaptionCue[]> {
  const json3Url = new URL(trackUrl);
  json3Url.searchParams.set('fmt', 'json3');
  let json3Failure: unknown;
  try {
    const body = new TextDecoder('utf-8').decode((await fetchUrl(json3Url.href, fetchOptions)).bytes);
    if (body.trim().length > 0) {
      const cues = parseJson3Captions(body);
      if (cues.length > 0) return cues;
    }
  } catch (error) {
    // A guard refusal must not be retried in another format; anything else falls back to XML.
    if (error instanceof DocumentError && error.code === 'url_forbidden') throw error;
    json3Failure = error;
  }
  const xmlUrl = new URL(trackUrl);
  xmlUrl.searchParams.delete('fmt');
  try {
    const body = new TextDecoder('utf-8').decode((await fetchUrl(xmlUrl.href, fetchOptions)).bytes);
    return parseXmlCaptions(body);
  } catch (error) {
    if (error instanceof DocumentError) throw error;
    throw new DocumentError(
      'no_transcript',
      videoUrl,
      'has a caption track that could not be read in json3 or XML form',
      'Try again later; if it persists, YouTube may have changed its caption formats',
      {
        cause: json3Failure ?? error,
      },
    );
  }
}

function noTranscript(videoUrl: string, problem: string): DocumentError {
  return new DocumentError(
    'no_transcript',
    videoUrl,
    problem,
    'Pick a video with captions (automatic captions count), or download its audio and transcribe it with a speech-to-text model, then ingest the text file',
  );
}
