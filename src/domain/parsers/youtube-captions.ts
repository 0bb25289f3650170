// Pure parsing of what YouTube serves: the player data embedded in a watch page, and caption
// tracks in the json3 format or the older XML formats (srv1 <text start dur>, srv3 <p t d>).

export interface CaptionTrack {
  baseUrl: string;
  languageCode: string;
  name?: string;
  /** 'asr' for automatic speech recognition; absent for captions written by a person. */
  kind?: string;
}

export interface CaptionCue {
  startSec: number;
  durationSec?: number;
  text: string;
}

export interface PlayerData {
  videoId?: string;
  title?: string;
  author?: string;
  lengthSeconds?: number;
  playability?: { status?: string; reason?: string };
  captionTracks: CaptionTrack[];
}

/**
 * The `ytInitialPlayerResponse` object of a watch page. It is a JavaScript object literal that is
 * valid JSON; it is cut out by matching braces (strings and escapes respected), because a regular
 * expression cannot find where a nested object ends.
 */
export function extractPlayerData(html: string): PlayerData | null {
  const marker = 'ytInitialPlayerResponse';
  for (let at = html.indexOf(marker); at >= 0; at = html.indexOf(marker, at + marker.length)) {
    const assignment = /^\s*["']?\]?\s*=\s*/.exec(html.slice(at + marker.length, at + marker.length + 20));
    if (!assignment) continue;
    const start = at + marker.length + assignment[0].length;
    if (html[start] !== '{') continue; // e.g. `ytInitialPlayerResponse = null`
    const end = matchingBrace(html, start);
    if (end < 0) continue;
    try {
      return toPlayerData(JSON.parse(html.slice(start, end + 1)));
    } catch {
      // Not JSON after all; try the next occurrence.
    }
  }
  return null;
}

function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return i;
  }
  return -1;
}

interface RawPlayerResponse {
  videoDetails?: { videoId?: string; title?: string; author?: string; lengthSeconds?: string };
  playabilityStatus?: { status?: string; reason?: string };
  captions?: {
    playerCaptionsTracklistRenderer?: {
      captionTracks?: { baseUrl?: string; languageCode?: string; kind?: string; name?: { simpleText?: string; runs?: { text?: string }[] } }[];
    };
  };
}

function toPlayerData(raw: RawPlayerResponse): PlayerData {
  const tracks = raw.captions?.playerCaptionsTracklistRenderer?.captionTracks ?? [];
  return {
    videoId: raw.videoDetails?.videoId,
    title: raw.videoDetails?.title,
    author: raw.videoDetails?.author,
    lengthSeconds: raw.videoDetails?.lengthSeconds ? Number(raw.videoDetails.lengthSeconds) : undefined,
    playability: raw.playabilityStatus,
    captionTracks: tracks
      .filter((track) => typeof track.baseUrl === 'string' && track.baseUrl.length > 0)
      .map((track) => ({
        baseUrl: track.baseUrl as string,
        languageCode: track.languageCode ?? 'und',
        name: track.name?.simpleText ?? track.name?.runs?.map((run) => run.text ?? '').join(''),
        kind: track.kind,
      })),
  };
}

/**
 * The track in the requested language (a person's captions before automatic ones, then a regional
 * variant such as en-GB for en), or the first track when the language is not requested or absent.
 */
export function pickCaptionTrack(tracks: CaptionTrack[], language?: string): CaptionTrack | undefined {
  if (tracks.length === 0) return undefined;
  if (!language) return tracks[0];
  const wanted = language.toLowerCase();
  const base = (code: string) => code.toLowerCase().split('-')[0];
  const byPreference = [...tracks].sort((a, b) => Number(a.kind === 'asr') - Number(b.kind === 'asr'));
  return (
    byPreference.find((track) => track.languageCode.toLowerCase() === wanted) ??
    byPreference.find((track) => base(track.languageCode) === base(wanted)) ??
    tracks[0]
  );
}

interface Json3Transcript {
  events?: { tStartMs?: number; dDurationMs?: number; segs?: { utf8?: string }[] }[];
}

/** Cues of a json3 track; events without text (window setup, line-append markers) are dropped. */
export function parseJson3Captions(body: string): CaptionCue[] {
  const transcript = JSON.parse(body) as Json3Transcript;
  const cues: CaptionCue[] = [];
  for (const event of transcript.events ?? []) {
    const text = cleanCueText((event.segs ?? []).map((segment) => segment.utf8 ?? '').join(''));
    if (text.length === 0) continue;
    cues.push({
      startSec: (event.tStartMs ?? 0) / 1000,
      durationSec: event.dDurationMs === undefined ? undefined : event.dDurationMs / 1000,
      text,
    });
  }
  return cues;
}

/** Cues of an XML track: srv1 (<text start="1.2" dur="3.4">) or srv3 (<p t="1200" d="3400">). */
export function parseXmlCaptions(body: string): CaptionCue[] {
  const cues: CaptionCue[] = [];
  for (const match of body.matchAll(/<text\b([^>]*)>([\s\S]*?)<\/text>/g)) {
    const attributes = parseAttributes(match[1]);
    // srv1 escapes twice: an apostrophe arrives as &amp;#39;
    const text = cleanCueText(decodeXmlEntities(decodeXmlEntities(match[2])));
    if (text) cues.push({ startSec: Number(attributes.start ?? 0), durationSec: attributes.dur ? Number(attributes.dur) : undefined, text });
  }
  if (cues.length > 0) return cues;
  for (const match of body.matchAll(/<p\b([^>]*)>([\s\S]*?)<\/p>/g)) {
    const attributes = parseAttributes(match[1]);
    const text = cleanCueText(decodeXmlEntities(match[2].replace(/<[^>]+>/g, '')));
    if (text) cues.push({ startSec: Number(attributes.t ?? 0) / 1000, durationSec: attributes.d ? Number(attributes.d) / 1000 : undefined, text });
  }
  return cues;
}

function parseAttributes(source: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of source.matchAll(/([\w:-]+)\s*=\s*"([^"]*)"/g)) attributes[match[1]] = match[2];
  return attributes;
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeXmlEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, body: string) => {
    if (body[0] === '#') {
      const codePoint = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(codePoint) && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : entity;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? entity;
  });
}

function cleanCueText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
