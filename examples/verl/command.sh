#!/usr/bin/env bash
# veRL (0.9.1) GRPO with rewards from a running rlvr service, as command-line overrides of
# veRL's own trainer config. 0.9.1 reads the reward function from reward.custom_reward_function
# (the top-level custom_reward_function of older versions is not read). pkg://grpo.verl loads
# the module by name, so the functions pickle by reference (the remote manager ships them to
# Ray workers). tests/trainers/test_verl.py composes veRL's config with exactly these lines.
set -euo pipefail

python3 -m verl.trainer.main_ppo \
  algorithm.adv_estimator=grpo \
  actor_rollout_ref.rollout.n=8 \
  data.train_files="$HOME/data/gsm8k/train.parquet" \
  data.val_files="$HOME/data/gsm8k/test.parquet" \
  actor_rollout_ref.model.path=Qwen/Qwen2.5-1.5B-Instruct \
  reward.reward_manager.name=naive \
  reward.custom_reward_function.path=pkg://grpo.verl \
  reward.custom_reward_function.name=compute_score_async \
  +reward.custom_reward_function.reward_kwargs.url="${RLVR_URL:-http://127.0.0.1:8000}" \
  +reward.custom_reward_function.reward_kwargs.rewards.math=1.0 \
  +reward.custom_reward_function.reward_kwargs.rewards.format=0.2
