// Stack Exchange dumps in the Law StackExchange layout: question_id, tags, score, license, link,
// question_title, question_body (HTML), answers[{answer_id, score, body}]. Each answered question becomes a
// qa record answered by its best answer; unanswered questions are skipped, with the reason.
import { htmlToText } from '../html-text';
import { asList, asText, isObject, problem, record, skip, type RowOutcome } from './row-values';

interface Answer {
  answerId: number | string | undefined;
  score: number;
  body: string;
}

export function stackexchangeRow(row: Record<string, unknown>): RowOutcome {
  const questionId = row.question_id as number | string | undefined;
  const label = questionId === undefined ? 'question' : `question ${questionId}`;
  const title = asText(row.question_title);
  if (title === undefined) return problem(`${label}: "question_title" is missing`);
  const bodyHtml = asText(row.question_body) ?? '';
  const answersRaw = row.answers === undefined || row.answers === null ? [] : asList(row.answers);
  if (!answersRaw) return problem(`${label}: "answers" is not a list`);

  const answers: Answer[] = answersRaw
    .filter(isObject)
    .map((a) => ({
      answerId: a.answer_id as number | string | undefined,
      score: Number(a.score ?? 0) || 0,
      body: htmlToText(asText(a.body) ?? ''),
    }))
    .filter((a) => a.body !== '');
  if (answers.length === 0) return skip(`${label} has no answer`);

  const best = bestAnswer(answers);
  const questionText = [htmlToText(title), htmlToText(bodyHtml)].filter((t) => t !== '').join('\n\n');
  return record(
    { type: 'qa', question: questionText, answer: best.body },
    {
      ...(questionId === undefined ? {} : { sourceId: String(questionId) }),
      questionId,
      questionScore: Number(row.score ?? 0) || 0,
      answerId: best.answerId,
      answerScore: best.score,
      answerCount: answers.length,
      tags: asList(row.tags) ?? [],
      license: asText(row.license) ?? '',
      link: asText(row.link) ?? '',
    },
  );
}

/** Highest score wins; among equal scores the earliest answer (lowest id), so list order does not matter. */
function bestAnswer(answers: Answer[]): Answer {
  return answers.reduce((best, candidate) => {
    if (candidate.score !== best.score) return candidate.score > best.score ? candidate : best;
    return Number(candidate.answerId) < Number(best.answerId) ? candidate : best;
  });
}
