"""Company policies: how banners are raised, how reps are paid, how managers coach."""
