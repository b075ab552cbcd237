#!/usr/bin/env bash
# The same as verl/reward.yaml, as command-line overrides of veRL's PPO/GRPO trainer.
set -euo pipefail
RLVR_PY="$(python -c 'import grpo.verl; print(grpo.verl.__file__)')"

python3 -m verl.trainer.main_ppo \
  algorithm.adv_estimator=grpo \
  actor_rollout_ref.rollout.n=8 \
  data.train_files="$HOME/data/gsm8k/train.parquet" \
  data.val_files="$HOME/data/gsm8k/test.parquet" \
  actor_rollout_ref.model.path=Qwen/Qwen2.5-1.5B-Instruct \
  custom_reward_function.path="$RLVR_PY" \
  custom_reward_function.name=compute_score_async \
  +custom_reward_function.reward_kwargs.url="${RLVR_URL:-http://127.0.0.1:8000}" \
  +custom_reward_function.reward_kwargs.rewards.math=1.0 \
  +custom_reward_function.reward_kwargs.rewards.format=0.2
