module plugport.test/gohost

go 1.21
