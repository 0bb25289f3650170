// Which record types and export formats serve which training method (the generation-type table of the original Datacreek API, narrowed to the
// types datacreek builds). Lets the CLI and API suggest a format for a goal, and warn on a mismatch.
import type { DatasetType } from '../records';
import type { ExportFormat } from './types';

export const TRAINING_GOAL_NAMES = ['sft', 'dpo', 'orpo', 'kto', 'ppo', 'grpo', 'pretraining'] as const;
export type TrainingGoal = (typeof TRAINING_GOAL_NAMES)[number];

export interface TrainingGoalInfo {
  goal: TrainingGoal;
  title: string;
  types: readonly DatasetType[];
  formats: readonly ExportFormat[];
  why: string;
}

export const TRAINING_GOALS: Readonly<Record<TrainingGoal, TrainingGoalInfo>> = {
  sft: {
    goal: 'sft',
    title: 'Supervised fine-tuning',
    types: ['qa', 'cot', 'summary', 'conversation'],
    formats: ['openai-chat', 'sharegpt', 'alpaca', 'hf', 'jsonl'],
    why: 'imitates demonstrations, so it needs prompt → response pairs or whole conversations',
  },
  dpo: {
    goal: 'dpo',
    title: 'Direct preference optimisation',
    types: ['preference'],
    formats: ['dpo', 'hf', 'jsonl'],
    why: 'learns from a better and a worse answer to the same prompt, without a separate reward model',
  },
  orpo: {
    goal: 'orpo',
    title: 'Odds-ratio preference optimisation',
    types: ['preference'],
    formats: ['dpo', 'hf', 'jsonl'],
    why: 'folds SFT and preference learning into one stage, reading the same prompt/chosen/rejected triples as DPO',
  },
  kto: {
    goal: 'kto',
    title: 'Kahneman-Tversky optimisation',
    types: ['preference'],
    formats: ['kto', 'jsonl'],
    why: 'needs only a desirable/undesirable label per completion, so each pair becomes one row of each',
  },
  ppo: {
    goal: 'ppo',
    title: 'Proximal policy optimisation (RLHF)',
    types: ['qa', 'cot', 'summary', 'conversation', 'preference'],
    formats: ['openai-chat', 'sharegpt', 'alpaca', 'hf', 'jsonl'],
    why: 'samples answers to prompts and scores them with a reward model, which is itself trained on preference pairs',
  },
  grpo: {
    goal: 'grpo',
    title: 'Group relative policy optimisation',
    types: ['qa', 'cot'],
    formats: ['jsonl', 'openai-chat', 'hf'],
    why: 'scores several sampled answers per prompt with reward functions, so it needs prompts with checkable reference answers',
  },
  pretraining: {
    goal: 'pretraining',
    title: 'Continued pre-training',
    types: ['qa', 'cot', 'summary', 'conversation'],
    formats: ['text', 'jsonl'],
    why: 'adapts a model to a domain from plain text, without chat templates or a system prompt',
  },
};

export function formatsForGoal(goal: TrainingGoal): readonly ExportFormat[] {
  return TRAINING_GOALS[goal].formats;
}

export function typesForGoal(goal: TrainingGoal): readonly DatasetType[] {
  return TRAINING_GOALS[goal].types;
}

export function goalsForType(type: DatasetType): TrainingGoal[] {
  return TRAINING_GOAL_NAMES.filter((goal) => TRAINING_GOALS[goal].types.includes(type));
}
