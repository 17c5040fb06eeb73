module plugport.test/greetergo

go 1.21
