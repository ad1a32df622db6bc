amount = { $amount } د.ج
