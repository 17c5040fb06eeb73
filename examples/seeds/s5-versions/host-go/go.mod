module example.invalid/plugport/examples/seeds/s5-versions/host-go

go 1.22

require example.invalid/plugport/go v0.0.0

require golang.org/x/text v0.21.0

replace example.invalid/plugport/go => ../../../../bridge/go
