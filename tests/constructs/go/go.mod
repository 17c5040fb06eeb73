module example.invalid/plugport/tests/constructs/go

go 1.22

require example.invalid/plugport/go v0.0.0

replace example.invalid/plugport/go => ../../../bridge/go
