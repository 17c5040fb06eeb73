module example.invalid/plugport/go

go 1.22
