{{ subscription_metrics('creator', true) }}
