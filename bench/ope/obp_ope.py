"""Open Bandit Pipeline on a recrl log: the six estimators recrl ope computes, a ridge reward
model cross-fitted on 2 folds, and 1,000 bootstrap resamples, each step timed.

    python3 obp_ope.py LOG.csv TARGET_PROBS.csv

LOG.csv as `recrl simulate` writes it, TARGET_PROBS.csv as `recrl ope --target-probs-out`
writes it (one row per log row). Written against obp 0.5.5 (sklearn's Ridge as the base model,
alpha 1, as recrl's lambda 1); run by bench/ope/ope_bench.sh where obp is installed.
"""
import sys
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from obp.ope import (
    DirectMethod,
    DoublyRobust,
    InverseProbabilityWeighting,
    OffPolicyEvaluation,
    RegressionModel,
    SelfNormalizedDoublyRobust,
    SelfNormalizedInverseProbabilityWeighting,
    SwitchDoublyRobust,
)


def main(log_file, target_file):
    start = time.perf_counter()
    log = pd.read_csv(log_file)
    target = pd.read_csv(target_file).to_numpy()
    read = time.perf_counter()
    features = [c for c in log.columns if c.startswith("x.")]
    context = log[features].to_numpy()
    action = log["action"].to_numpy()
    reward = log["reward"].to_numpy()
    n_actions = target.shape[1]
    feedback = {
        "n_rounds": len(log),
        "n_actions": n_actions,
        "action": action,
        "reward": reward,
        "pscore": log["propensity"].to_numpy(),
        "position": None,
        "context": context,
    }
    model = RegressionModel(n_actions=n_actions, base_model=Ridge(alpha=1.0))
    q_hat = model.fit_predict(context=context, action=action, reward=reward, n_folds=2,
                              random_state=0)
    fitted = time.perf_counter()
    ope = OffPolicyEvaluation(
        bandit_feedback=feedback,
        ope_estimators=[
            InverseProbabilityWeighting(),
            SelfNormalizedInverseProbabilityWeighting(),
            DirectMethod(),
            DoublyRobust(),
            SelfNormalizedDoublyRobust(),
            SwitchDoublyRobust(lambda_=np.inf),
        ],
    )
    action_dist = target[:, :, np.newaxis]
    values = ope.estimate_policy_values(action_dist=action_dist,
                                        estimated_rewards_by_reg_model=q_hat)
    estimated = time.perf_counter()
    intervals = ope.estimate_intervals(action_dist=action_dist,
                                       estimated_rewards_by_reg_model=q_hat,
                                       n_bootstrap_samples=1000, alpha=0.05, random_state=0)
    done = time.perf_counter()
    for name, value in values.items():
        interval = intervals[name]
        print(f"| {name} | {value:.4f} | [{interval['95.0% CI (lower)']:.4f}, "
              f"{interval['95.0% CI (upper)']:.4f}] |")
    print(f"read {read - start:.1f} s, reward model {fitted - read:.1f} s, six estimates "
          f"{estimated - fitted:.1f} s, 1000 resamples {done - estimated:.1f} s, "
          f"total {done - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
