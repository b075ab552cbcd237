#!/usr/bin/env bash
# OpenRLHF (0.11.2) GRPO with rlvr as the remote reward: the rewards are named in the URL.
# Start the service first (make serve, or several replicas on several hosts/ports).
# OpenRLHF splits --reward.remote_url on commas (one URL per comma-separated part, each
# getting a share of the batches), so rewards are joined with '+' (or ';'), never ','.
# The dataset's --data.label_key column is sent as "labels" and used as the reference.
# tests/trainers/test_openrlhf.py parses these flags with OpenRLHF's own argument parser.
set -euo pipefail

RLVR="${RLVR_URL:-http://127.0.0.1:8000}"

ray job submit --address="http://127.0.0.1:8265" \
  --runtime-env-json='{"working_dir": "/openrlhf"}' \
  -- python3 -m openrlhf.cli.train_ppo_ray \
  --actor.model_name_or_path Qwen/Qwen2.5-1.5B-Instruct \
  --data.prompt_dataset AI-MO/NuminaMath-TIR \
  --data.input_key problem \
  --data.label_key solution \
  --data.apply_chat_template \
  --reward.remote_url "${RLVR}/openrlhf/math:1+format:0.2" \
  --algo.advantage.estimator group_norm \
  --rollout.n_samples_per_prompt 8 \
  --algo.kl.init_coef 0 \
  --ckpt.output_dir ./checkpoint/qwen-grpo-rlvr
