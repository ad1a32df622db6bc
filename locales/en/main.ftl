amount = { $amount } DA
