// The per-query visit marks of the dedup indexes: each item counts once per query, and growing keeps the marks.
import { describe, expect, it } from 'vitest';
import { VisitMarks } from '../../../src/domain/dedup/visit-marks';

describe('VisitMarks', () => {
  it('says an item is new once per query, and again after the next query starts', () => {
    const marks = new VisitMarks(4);
    marks.startQuery();
    expect([marks.firstVisit(2), marks.firstVisit(2), marks.firstVisit(3)]).toEqual([true, false, true]);
    marks.startQuery();
    expect([marks.firstVisit(2), marks.firstVisit(3), marks.firstVisit(3)]).toEqual([true, true, false]);
  });

  it('grows without forgetting what the current query has visited', () => {
    const marks = new VisitMarks(2);
    marks.startQuery();
    marks.firstVisit(1);
    marks.grow(8);
    expect(marks.capacity).toBe(8);
    expect([marks.firstVisit(1), marks.firstVisit(7), marks.firstVisit(7)]).toEqual([false, true, false]);
  });
});
